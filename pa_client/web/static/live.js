// Live updates of the PA Ledger pages: records and alerts arrive by server-sent events and are
// inserted without a reload. Text only (textContent): nothing from the ledger is parsed as HTML.
(function () {
  "use strict";
  var stream = document.body.getAttribute("data-stream");
  if (!stream || !window.EventSource) { return; }
  var labels = JSON.parse(document.getElementById("live-labels").textContent);
  var status = document.getElementById("live-status");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function link(href, text, className) {
    var a = el("a", className, text);
    a.href = href;
    return a;
  }
  function recordUrl(ref, entry) {
    return "/authorisations/" + encodeURIComponent(ref) + "/records/" + encodeURIComponent(entry);
  }
  function flash(node) {
    node.classList.add("fresh");
    window.setTimeout(function () { node.classList.remove("fresh"); }, 4000);
  }
  function toast(title, text, severity) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    var item = el("div", "toast" + (severity ? " sev-" + severity : ""));
    item.appendChild(el("b", null, title));
    item.appendChild(el("span", null, text));
    box.appendChild(item);
    window.setTimeout(function () { item.remove(); }, 6000);
  }
  function setLive(on) {
    if (!status) { return; }
    status.className = on ? "live" : "live off";
    status.textContent = status.getAttribute(on ? "data-on" : "data-off");
  }

  function onRecord(r) {
    var kind = labels.kinds[r.kind] || r.kind;
    var table = document.getElementById("live-records");
    if (table) {
      var body = table.tBodies[0];
      var row = el("tr");
      row.setAttribute("data-seq", r.sequence);
      row.appendChild(el("td", "num", r.sequence));
      var entry = el("td", "nowrap strong");
      entry.appendChild(link(recordUrl(r.authorisation, r.entry_ref), r.entry_ref));
      row.appendChild(entry);
      row.appendChild(el("td", null, kind));
      row.appendChild(el("td", "nowrap", r.happened));
      row.appendChild(el("td", "nowrap", r.recorded));
      row.appendChild(el("td", "num nowrap", r.delay));
      row.appendChild(el("td", "num", r.block));
      body.insertBefore(row, body.firstChild);
      while (body.rows.length > 200) { body.deleteRow(body.rows.length - 1); }
      flash(row);
      var count = document.getElementById("record-count");
      if (count) { count.textContent = Number(r.sequence).toLocaleString("en"); }
    }
    var line = document.querySelector('#overview tr[data-ref="' + CSS.escape(r.authorisation) + '"]');
    if (line) {
      var last = line.querySelector("td.last");
      last.textContent = "";
      last.appendChild(link(recordUrl(r.authorisation, r.entry_ref), r.entry_ref, "strong"));
      last.appendChild(document.createTextNode(" "));
      last.appendChild(el("span", "muted", kind));
      last.appendChild(el("br"));
      last.appendChild(el("span", "small", r.recorded + " · " + labels.delay + " " + r.delay));
      var counter = line.querySelector(".count");
      if (counter) { counter.textContent = Number(r.sequence).toLocaleString("en"); }
      flash(line);
    }
    toast(labels.new_record, r.authorisation + " · " + r.entry_ref + " (" + kind + ")");
  }

  // Alerts stay in severity order (critical, warning, info), a new one after those of its severity
  // (as the server lists them); an info alert goes to the folded list of info alerts when there is one.
  var RANK = { critical: 0, warning: 1, info: 2 };
  function rankOf(severity) { return severity in RANK ? RANK[severity] : 3; }
  function placeAlert(list, item, severity) {
    if (severity === "info") {
      var folded = document.querySelector("#alerts details.info-alerts ul.alerts");
      if (folded) { list = folded; }
    }
    var rank = rankOf(severity);
    var before = null;
    for (var i = 0; i < list.children.length; i++) {
      var other = list.children[i];
      var sev = (other.className.match(/\bsev-(\w+)/) || [])[1];
      if (rankOf(sev) > rank) { before = other; break; }
    }
    list.insertBefore(item, before);
  }

  // The summary cards: after each audited block, fetched as the server renders them.
  var cardsUrl = document.body.getAttribute("data-cards");
  var cardsAsked = null;  // the block the cards were last asked for
  function setText(node, text) {
    if (node && node.textContent !== String(text)) { node.textContent = String(text); flash(node); }
  }
  function showCards(cards) {
    Object.keys(cards).forEach(function (name) {
      var card = document.querySelector('#live-cards [data-card="' + CSS.escape(name) + '"]');
      if (!card) { return; }
      var c = cards[name];
      if (name === "records") {  // the completeness proof: verified, sequence, rolling hash
        setText(card.querySelector(".mark"), c.verified ? "\u2713" : "\u2717");
        setText(document.getElementById("record-count"), c.sequence);
        var head = card.querySelector(".detail .mono");
        if (head) { setText(head, c.head_short); head.title = c.head; }
        card.classList.toggle("ok", !!c.verified);
        card.classList.toggle("bad", !c.verified);
        return;
      }
      if (Array.isArray(c)) {  // lines: goods code, remaining / placed
        var box = card.querySelector(".lines");
        if (!box) { return; }
        var lines = el("div", "lines");
        c.forEach(function (u) {
          var line = el("div", "detail");
          line.appendChild(el("span", "code", u.code));
          line.appendChild(document.createTextNode(" "));
          line.appendChild(el("b", null, u.remaining));
          line.appendChild(document.createTextNode(" / " + u.placed));
          lines.appendChild(line);
        });
        if (!c.length) { lines.appendChild(el("div", "value", "—")); }
        if (lines.textContent !== box.textContent) { box.replaceWith(lines); flash(lines); }
        return;
      }
      setText(card.querySelector(".value"), c.value);
      setText(card.querySelector(".detail"), c.detail);
      ["crit", "warnc"].forEach(function (alarm) { card.classList.toggle(alarm, c.alarm === alarm); });
    });
  }
  function showRows(rows) {  // the overview's rows: goods still under the procedure, next deadline
    Object.keys(rows).forEach(function (ref) {
      var line = document.querySelector('#overview tr[data-ref="' + CSS.escape(ref) + '"]');
      if (!line) { return; }
      var r = rows[ref];
      var goods = el("td", "open-goods");
      r.open.forEach(function (o) {
        var div = el("div", "nowrap");
        div.appendChild(el("span", "code", o.code));
        div.appendChild(document.createTextNode(" "));
        div.appendChild(el("b", null, o.quantity));
        goods.appendChild(div);
      });
      if (!r.open.length) { goods.appendChild(el("span", "muted", "\u2014")); }
      var deadline = el("td", "nowrap deadline");
      if (r.next_deadline) {
        deadline.appendChild(el("b", null, r.next_deadline));
        deadline.appendChild(el("br"));
        deadline.appendChild(el("span", "muted small", r.in_days));
      } else {
        deadline.appendChild(el("span", "muted", "\u2014"));
      }
      if (r.overdue_text) {
        deadline.appendChild(el("br"));
        deadline.appendChild(el("span", "badge st-overdue", r.overdue_text));
      }
      [goods, deadline].forEach(function (cell) {
        var old = line.querySelector("td." + cell.className.split(" ").pop());
        if (old && old.textContent !== cell.textContent) { old.replaceWith(cell); flash(cell); }
      });
    });
  }
  function refreshCards(block) {
    if (!cardsUrl || !window.fetch || (cardsAsked !== null && block <= cardsAsked)) { return; }
    cardsAsked = block;
    fetch(cardsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && body.cards) { showCards(body.cards); }
        if (body && body.rows) { showRows(body.rows); }
      })
      .catch(function () { cardsAsked = null; });
  }

  function onAlert(a) {
    var list = document.getElementById("live-alerts");
    var severity = labels.severities[a.severity] || a.severity;
    var kind = labels.alerts[a.kind] || a.kind;
    if (list) {
      var item = el("li", "alert sev-" + a.severity);
      item.setAttribute("data-key", a.key);
      item.appendChild(el("span", "badge sev-" + a.severity, severity));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("span", "akind", kind));
      var subject = [a.entry_ref, a.lot ? "lot " + a.lot : null].filter(Boolean).join(" · ");
      if (subject) {
        item.appendChild(document.createTextNode(" "));
        var s = el("span", "subject");
        if (a.entry_ref) { s.appendChild(link(recordUrl(a.authorisation, a.entry_ref), subject)); } else { s.textContent = subject; }
        item.appendChild(s);
      }
      if (a.due) { item.appendChild(el("span", "due", a.due)); }
      item.appendChild(el("div", "amsg", a.message));
      placeAlert(list, item, a.severity);
      var none = document.getElementById("no-alerts");
      if (none) { none.remove(); }
      flash(item);
    }
    var line = document.querySelector('#overview tr[data-ref="' + CSS.escape(a.authorisation) + '"]');
    if (line) {
      var badge = line.querySelector('.sev[data-sev="' + a.severity + '"]');
      if (badge) {
        badge.textContent = String(Number(badge.textContent) + 1);
        badge.classList.remove("zero");
        flash(badge);
      }
    }
    toast(labels.new_alert + " · " + severity, a.authorisation + ": " + a.message, a.severity);
  }

  var lastBlock = null;  // the newest block this page has heard of
  function connect() {
    var source = new EventSource(stream);
    // After a lost connection, what happened meanwhile was not sent: show it by reloading.
    source.addEventListener("hello", function (e) {
      var b = JSON.parse(e.data).block;
      if (lastBlock !== null && b !== null && b > lastBlock) { window.location.reload(); }
      if (b !== null && (lastBlock === null || b > lastBlock)) { lastBlock = b; }
    });
    source.addEventListener("open", function () { setLive(true); });
    source.addEventListener("error", function () { setLive(false); });
    source.addEventListener("record", function (e) {
      var r = JSON.parse(e.data);
      if (lastBlock === null || r.block > lastBlock) { lastBlock = r.block; }
      onRecord(r);
    });
    source.addEventListener("alert", function (e) { onAlert(JSON.parse(e.data)); });
    source.addEventListener("block", function (e) {
      var b = JSON.parse(e.data);
      lastBlock = b.block;
      var shown = document.getElementById("as-of-block");
      if (shown) { shown.textContent = String(b.block); }
      refreshCards(b.block);
    });
    source.addEventListener("expired", function () { source.close(); window.location.reload(); });
  }
  connect();
})();
