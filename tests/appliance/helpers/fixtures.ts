// A provisioning file as an installer would write it.
export const GOOD = {
  storeId: 'msk-017',
  boxId: 'box-017-a',
  hub: { url: 'mqtts://hub.optics.example:8883', username: 'box-017-a', password: 'correct horse battery' },
  apiToken: 'pos-token-0123456789abcdef',
  kkt: { usbVendorId: '1fc9', usbProductId: '0083', usbSerial: 'SN0012345' },
  ups: 'geekworm-x728',
  techPin: '4821',
  network: { mode: 'static', address: '10.17.0.5/24', gateway: '10.17.0.1', dns: ['10.17.0.1'] },
};
