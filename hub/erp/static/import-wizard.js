// Import wizard: upload the file as the raw request body, show the first 10 mapped rows,
// confirm, then poll the job until it ends. Text goes in with textContent only (no HTML).
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const text = JSON.parse($('wizard-i18n').dataset.text || '{}');
  const t = (k) => text[k] || k;
  let uploadId = null;

  function showError(msg) {
    const el = $('wizard-error');
    el.textContent = msg;
    el.hidden = !msg;
  }

  async function problemText(res) {
    try {
      const p = await res.json();
      const fields = (p.errors || []).map((e) => `${e.field}: ${e.message}`).join('; ');
      return fields ? `${p.detail} (${fields})` : p.detail || p.title;
    } catch {
      return `HTTP ${res.status}`;
    }
  }

  function cell(tag, value, cls) {
    const el = document.createElement(tag);
    el.textContent = value === null || value === undefined ? '' : String(value);
    if (cls) el.className = cls;
    return el;
  }

  const money = (k) => (k / 100).toFixed(2);

  // A row problem in the page's language from its code and parameters (English reason as fallback).
  function rowError(e) {
    const tpl = text[`rowerr.${e.code}`];
    if (!tpl) return `${e.column}: ${e.reason}`;
    const p = Object.assign({}, e.params);
    if (p.field) p.field = t(`target.${p.field}`);
    if (p.separator) p.separator = t(`sep.${p.separator}`);
    return `${e.column}: ${tpl.replace(/\{(\w+)\}/g, (_, k) => (p[k] === undefined ? '' : p[k]))}`;
  }

  function renderPreview(rows) {
    const table = $('preview');
    const head = table.tHead;
    const body = table.tBodies[0];
    head.replaceChildren();
    body.replaceChildren();
    const cols = ['supplier_code', 'barcode', 'name', 'brand', 'kind', 'cost', 'price'];
    const labels = { supplier_code: 'lens.supplier_code', barcode: 'product.barcode', name: 'product.name', brand: 'product.brand', kind: 'product.kind', cost: 'product.cost', price: 'product.price' };
    const hr = document.createElement('tr');
    hr.append(cell('th', t('import.row')), ...cols.map((c) => cell('th', t(labels[c]))), cell('th', t('import.problems')));
    head.append(hr);
    for (const r of rows) {
      const tr = document.createElement('tr');
      tr.append(cell('td', r.row_number));
      if (r.mapped.ok) {
        const m = r.mapped.row;
        const shown = (c) => (c === 'cost' || c === 'price' ? money(m[c]) : c === 'kind' ? t(`kind.${m.kind}`) : m[c]);
        tr.append(...cols.map((c) => cell('td', shown(c))), cell('td', t('import.ok')));
      } else {
        tr.className = 'row-bad';
        const td = cell('td', r.mapped.errors.map(rowError).join('; '));
        td.colSpan = cols.length + 1;
        tr.append(td);
      }
      body.append(tr);
    }
  }

  $('upload').addEventListener('click', async () => {
    showError('');
    const file = $('file').files[0];
    if (!file) return showError(t('import.choose_file'));
    const up = await fetch(`/api/v1/import/uploads?filename=${encodeURIComponent(file.name)}`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: file });
    if (!up.ok) return showError(await problemText(up));
    uploadId = (await up.json()).id;
    const pr = await fetch(`/api/v1/import/uploads/${uploadId}/preview?profile_id=${encodeURIComponent($('profile').value)}`);
    if (!pr.ok) return showError(await problemText(pr));
    renderPreview((await pr.json()).rows);
    $('step2').hidden = false;
  });

  $('confirm').addEventListener('click', async () => {
    showError('');
    $('confirm').disabled = true;
    const res = await fetch('/api/v1/import/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ upload_id: uploadId, profile_id: Number($('profile').value) }) });
    if (!res.ok) { $('confirm').disabled = false; return showError(await problemText(res)); }
    const job = await res.json();
    $('step3').hidden = false;
    $('job-link').href = `/import/jobs/${job.id}`;
    poll(job.id);
  });

  async function poll(id) {
    const res = await fetch(`/api/v1/import/jobs/${id}`);
    if (!res.ok) return showError(await problemText(res));
    const j = await res.json();
    $('progress').value = j.bytes_total ? Math.round((100 * j.bytes_read) / j.bytes_total) : 0;
    $('job-state').textContent = `${t('job.' + j.state)} · ${t('import.progress')}: ${j.rows_total} · ${t('import.created')}: ${j.created} · ` +
      `${t('import.updated')}: ${j.updated} · ${t('import.unchanged')}: ${j.unchanged} · ${t('import.failed')}: ${j.failed}`;
    $('job-state').dataset.state = j.state;
    if (j.state === 'running' || j.state === 'draft') setTimeout(() => poll(id), 400);
    else $('progress').value = 100;
  }
}());
