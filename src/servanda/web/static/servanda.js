// Servanda's pages work without this script; with it, the status board refreshes its rows
// in place every 30 seconds (what the server sends for the same filters), and says when.
"use strict";
(function () {
  const table = document.querySelector("table[data-refresh]");
  if (!table) return;
  const stamp = table.querySelector(".stamp");
  async function refresh() {
    try {
      const answer = await fetch(table.dataset.refresh, {credentials: "same-origin"});
      if (!answer.ok) throw new Error(String(answer.status));
      const html = await answer.text();
      const holder = document.createElement("table");
      holder.innerHTML = html;
      const rows = holder.querySelector("tbody");
      if (rows) table.querySelector("tbody").replaceWith(rows);
      if (stamp) stamp.textContent = "(updated " + new Date().toLocaleTimeString() + ")";
    } catch (error) {
      if (stamp) stamp.textContent = "(not updated: " + error.message + ")";
    }
  }
  setInterval(refresh, 30000);
})();
