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

// The dependency map: hovering or focusing a node lights it, what it needs (down the map)
// and what needs it (up), and dims the rest.
(function () {
  const map = document.querySelector("svg.map");
  if (!map) return;
  const nodes = new Map();
  map.querySelectorAll(".node").forEach(function (n) { nodes.set(n.dataset.node, n); });
  function walk(start, key) {
    const seen = new Set([start]);
    const todo = [start];
    while (todo.length) {
      const node = nodes.get(todo.pop());
      if (!node) continue;
      (node.dataset[key] || "").split(" ").filter(Boolean).forEach(function (next) {
        if (!seen.has(next)) { seen.add(next); todo.push(next); }
      });
    }
    return seen;
  }
  function light(id) {
    const lit = new Set([...walk(id, "needs"), ...walk(id, "dependents")]);
    nodes.forEach(function (n, key) {
      n.classList.toggle("lit", lit.has(key));
      n.classList.toggle("dim", !lit.has(key));
    });
    map.querySelectorAll(".edge").forEach(function (e) {
      const on = lit.has(e.dataset.from) && lit.has(e.dataset.to);
      e.classList.toggle("lit", on);
      e.classList.toggle("dim", !on);
    });
  }
  function clear() {
    map.querySelectorAll(".lit, .dim").forEach(function (e) { e.classList.remove("lit", "dim"); });
  }
  nodes.forEach(function (n, key) {
    n.addEventListener("mouseenter", function () { light(key); });
    n.addEventListener("focus", function () { light(key); });
    n.addEventListener("mouseleave", clear);
    n.addEventListener("blur", clear);
  });
})();
