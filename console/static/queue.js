// Refreshes the queue every few seconds without a reload; text only, never HTML.
(function () {
  const body = document.getElementById("tickets");
  const updated = document.getElementById("updated");
  function cell(row, text) { const td = document.createElement("td"); td.textContent = text; row.appendChild(td); return td; }
  async function refresh() {
    const response = await fetch("/agent/api/tickets", { credentials: "same-origin" });
    if (response.status === 401) { window.location = "/agent/login"; return; }
    const data = await response.json();
    body.replaceChildren();
    if (!data.tickets.length) { cell(body.insertRow(), "暂无待处理会话").colSpan = 8; }
    for (const t of data.tickets) {
      const row = body.insertRow();
      row.className = "p" + t.priority;
      [t.priority, t.reason, t.customer, t.channel, t.created_at, t.waiting_minutes + " 分钟", t.holder || "—"].forEach(v => cell(row, String(v)));
      const link = document.createElement("a");
      link.href = "/agent/tickets/" + encodeURIComponent(t.id);
      link.textContent = "接待";
      cell(row, "").appendChild(link);
    }
    updated.textContent = "更新于 " + new Date().toLocaleTimeString("zh-CN");
  }
  setInterval(() => refresh().catch(() => {}), 3000);
})();
