// `npm run hub:redrive [-- <receipt-id> ...]`: sends DLQ documents (all, or the named ones)
// to the OFD again through the running hub. HUB_URL and HUB_OPERATOR_TOKEN as for the hub.
const ids = process.argv.slice(2);
const base = process.env.HUB_URL ?? 'http://127.0.0.1:8080';
const token = process.env.HUB_HTTP__OPERATOR_TOKEN ?? process.env.HUB_OPERATOR_TOKEN ?? 'change-me-operator-token';
const res = await fetch(`${base}/api/ofd/dlq/redrive`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify(ids.length ? { receipt_ids: ids } : { all: true }),
});
console.log(res.status, await res.text());
process.exit(res.ok ? 0 : 1);
