// POS status widget: polls the box every 30 s (the heartbeat period) and shows one word.
const LABELS = { online: 'В сети', offline: 'Нет связи', degraded: 'Связь ограничена' };
const BREAKER = { closed: 'работает', open: 'недоступен', half_open: 'проверка', isolated: 'отключён' };
const REFRESH_MS = Number(new URLSearchParams(location.search).get('refresh_ms')) || 30000;

function text(id, v) { document.getElementById(id).textContent = String(v); }

async function refresh() {
  try {
    const res = await fetch('/pos/widget/status.json', { cache: 'no-store' });
    const s = await res.json();
    document.getElementById('box').dataset.state = s.state;
    text('state', LABELS[s.state] || s.state);
    text('reason', s.reason_ru);
    text('percent', s.buffer_percent);
    text('pending', s.pending);
    text('unsynced', s.unsynced);
    document.getElementById('meter').value = s.buffer_percent;
    text('breaker', s.ofd_breaker ? (BREAKER[s.ofd_breaker] || s.ofd_breaker) : 'нет данных');
    text('updated', new Date(s.updated_at).toLocaleTimeString('ru-RU'));
  } catch {
    document.getElementById('box').dataset.state = 'offline';
    text('state', LABELS.offline);
    text('reason', 'Бокс не отвечает');
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
