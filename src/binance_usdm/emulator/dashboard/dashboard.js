// The emulator dashboard: reads and drives the admin API (/emulator/...) of the server that serves it.
// Plain JavaScript, no dependencies; every value from the server is inserted as text, never as HTML.
"use strict";

const LOG_ROWS = 300;
const EVENT_ROWS = 100;
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function say(message) {
  $("status").textContent = message;
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  const data = await resp.json();
  if (!resp.ok) {
    throw new Error(data.error || (data.code + " " + data.msg));
  }
  return data;
}

function isoTime(ms) {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", " UTC");
}

function clockOf(ms) {
  return new Date(ms).toISOString().slice(11, 23);
}

function signed(text) {
  const n = Number(text);
  return n > 0 ? "pos" : n < 0 ? "neg" : "";
}

function short(text, places) {
  const n = Number(text);
  return Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: places }) : text;
}

// -- accounts and clock ----------------------------------------------------------------------------
let frozen = false;

function table(headers, rows) {
  const head = el("tr", {}, ...headers.map(([label, cls]) => el("th", { class: cls || "", text: label })));
  const body = el("tbody", {}, ...rows);
  return el("div", { class: "scroll" }, el("table", {}, el("thead", {}, head), body));
}

function cell(text, cls) {
  return el("td", { class: cls || "", text: String(text) });
}

function accountCard(acc, now) {
  const modes = acc.modes;
  const badges = el("div", { class: "badges" },
    el("span", { class: "badge" + (modes.dualSidePosition ? " on" : ""),
                 text: modes.dualSidePosition ? "hedge mode" : "one-way mode" }),
    el("span", { class: "badge" + (modes.multiAssetsMargin ? " on" : ""),
                 text: modes.multiAssetsMargin ? "multi-assets" : "single-asset" }),
    el("span", { class: "badge", text: "BNB fee burn " + (modes.feeBurn ? "on" : "off") }),
    el("span", { class: "badge", text: acc.openOrders + " open order" + (acc.openOrders === 1 ? "" : "s") }),
    el("span", { class: "badge listen-key" + (acc.listenKeyExpiry ? " on" : ""),
                 text: acc.listenKeyExpiry
                   ? "listen key: " + Math.max(0, Math.round((acc.listenKeyExpiry - now) / 60000)) + " min left"
                   : "no listen key" }));
  const balances = acc.balances.map((b) => el("tr", {},
    cell(b.asset), cell(short(b.wallet, 8), "num"), cell(short(b.available, 8), "num"),
    cell(short(b.unrealizedProfit, 8), "num " + signed(b.unrealizedProfit))));
  const positions = acc.positions.map((p) => el("tr", {},
    cell(p.symbol), cell(p.positionSide), cell(p.positionAmt, "num " + signed(p.positionAmt)),
    cell(short(p.entryPrice, 8), "num"), cell(short(p.markPrice, 8), "num"),
    cell(short(p.unrealizedProfit, 2), "num " + signed(p.unrealizedProfit)),
    cell(p.leverage + "x", "num"), cell(p.marginType.toLowerCase())));
  return el("article", { class: "account", "data-account": acc.accountId },
    el("h3", {}, el("span", { text: acc.accountId }), el("span", { class: "badge", text: acc.alias })),
    badges,
    el("div", { class: "tables" },
      el("div", {}, el("h4", { text: "Balances" }),
        table([["asset"], ["wallet", "num"], ["available", "num"], ["unrealized", "num"]], balances)),
      el("div", {}, el("h4", { text: "Positions" }),
        positions.length
          ? table([["symbol"], ["side"], ["amount", "num"], ["entry", "num"], ["mark", "num"], ["PnL", "num"],
                   ["lev.", "num"], ["margin"]], positions)
          : el("p", { class: "empty", text: "No open position." }))));
}

async function refreshAccounts() {
  const state = await api("GET", "/emulator/accounts");
  frozen = state.frozen;
  $("clock-time").textContent = isoTime(state.time);
  $("clock-state").textContent = state.frozen ? "frozen" : "running";
  $("clock-state").className = "badge" + (state.frozen ? " frozen" : "");
  $("clock-freeze").textContent = state.frozen ? "Unfreeze" : "Freeze";
  const list = el("div", { class: "accounts" }, ...state.accounts.map((acc) => accountCard(acc, state.time)));
  $("accounts").replaceChildren(list);
}

async function poll() {
  try {
    await refreshAccounts();
  } catch (error) {
    say("Cannot read the emulator: " + error.message);
  }
  setTimeout(poll, 1000);
}

$("clock-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const seconds = Number($("clock-advance-seconds").value);
  try {
    const clock = await api("POST", "/emulator/clock", { advance: seconds });
    say("Clock advanced by " + seconds + " s to " + isoTime(clock.time) + ".");
    await refreshAccounts();
  } catch (error) {
    say("Clock not moved: " + error.message);
  }
});

$("clock-freeze").addEventListener("click", async () => {
  try {
    await api("POST", "/emulator/clock", { freeze: !frozen });
    await refreshAccounts();
  } catch (error) {
    say("Clock unchanged: " + error.message);
  }
});

// -- faults -----------------------------------------------------------------------------------------
async function refreshFaults() {
  const { faults } = await api("GET", "/emulator/faults");
  const rows = faults.map((f) => {
    const remove = el("button", { type: "button", class: "quiet small", "data-fault": String(f.id), text: "Remove" });
    remove.addEventListener("click", async () => {
      await api("DELETE", "/emulator/faults/" + f.id);
      await refreshFaults();
    });
    const left = f.remaining === null ? "" : ", " + f.remaining + " left";
    return el("li", { "data-fault-id": String(f.id) },
      el("span", { class: "badge", text: "#" + f.id }), el("span", { class: "spec", text: f.spec }),
      el("span", { class: "badge", text: "fired " + f.fired + left }), remove);
  });
  $("faults-list").replaceChildren(...rows);
  $("faults-clear").hidden = faults.length === 0;
}

$("fault-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const spec = $("fault-spec").value.trim();
  if (!spec) return;
  try {
    await api("POST", "/emulator/faults", { fault: spec });
    $("fault-spec").value = "";
    say("Fault installed: " + spec);
  } catch (error) {
    say("Fault refused: " + error.message);
  }
  await refreshFaults();
});

$("faults-clear").addEventListener("click", async () => {
  await api("DELETE", "/emulator/faults");
  await refreshFaults();
});

// -- request log ------------------------------------------------------------------------------------
function logFilter() {
  return { status: $("log-status").value, path: $("log-path").value.trim() };
}

function logRow(entry, fresh) {
  const params = Object.entries(entry.params).map(([k, v]) => k + "=" + v).join("&");
  const request = el("td", { class: "request" },
    el("span", { text: entry.method + " " + entry.path }),
    params ? el("span", { class: "params", text: "?" + params }) : "");
  const status = entry.status + (entry.code === null ? "" : " " + entry.code);
  return el("tr", { class: fresh ? "fresh" : "", "data-status": String(entry.status), "data-path": entry.path },
    cell(clockOf(entry.time), "mono"), cell(status, "s" + String(entry.status)[0]), request,
    cell(entry.weight + " / " + entry.usedWeight, "num"), cell(entry.latencyMs.toFixed(1), "num"),
    cell(entry.fault || "", "mono"));
}

function addLogRow(entry, fresh) {
  const body = $("log-body");
  body.prepend(logRow(entry, fresh));
  while (body.rows.length > LOG_ROWS) body.deleteRow(body.rows.length - 1);
  $("log-empty").hidden = body.rows.length > 0;
}

let logFeed = null;

// A live list without a gap: the stream is subscribed before the snapshot is read, and what it
// delivers meanwhile is kept; each item shows once, in id order (the snapshot's last id decides).
function liveFeed(streamUrl, eventName, readSnapshot, show) {
  const source = new EventSource(streamUrl);
  let lastId = null;
  const early = [];
  source.addEventListener(eventName, (message) => {
    const item = JSON.parse(message.data);
    if (lastId === null) early.push(item);
    else if (item.id > lastId) { lastId = item.id; show(item, true); }
  });
  const opened = new Promise((resolve, reject) => {
    source.addEventListener("open", resolve, { once: true });
    source.addEventListener("error", () => { if (source.readyState === EventSource.CLOSED) reject(new Error("stream closed")); });
  });
  const ready = opened.then(readSnapshot).then((items) => {
    lastId = 0;
    items.forEach((item) => { lastId = Math.max(lastId, item.id); show(item, false); });
    early.filter((item) => item.id > lastId).forEach((item) => { lastId = item.id; show(item, true); });
  });
  ready.catch(() => source.close());
  return { source, ready };
}

async function loadLog() {
  const { status, path } = logFilter();
  const query = new URLSearchParams();
  if (status) query.set("status", status);
  if (path) query.set("path", path);
  if (logFeed) logFeed.source.close();
  const feed = liveFeed("/emulator/log/stream?" + query, "request", async () => {
    query.set("limit", String(LOG_ROWS));
    const { entries } = await api("GET", "/emulator/log?" + query);
    if (logFeed === feed) $("log-body").replaceChildren();
    return logFeed === feed ? entries : [];
  }, (entry, fresh) => { if (logFeed === feed) addLogRow(entry, fresh); });
  logFeed = feed;
  await feed.ready;
  $("log-empty").hidden = $("log-body").rows.length > 0;
}

let filterTimer = 0;
$("log-status").addEventListener("change", () => loadLog());
$("log-path").addEventListener("input", () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(loadLog, 250);
});
$("log-filter").addEventListener("submit", (event) => event.preventDefault());
$("log-clear").addEventListener("click", async () => {
  await api("DELETE", "/emulator/log");
  await loadLog();
});

// -- user data stream events --------------------------------------------------------------------------
function eventRow(item) {
  const kind = item.event.e || "event";
  const reason = item.event.a && item.event.a.m ? " " + item.event.a.m : "";
  return el("li", { class: "event", "data-event": kind },
    el("span", { class: "mono", text: clockOf(item.time) + " " }),
    el("strong", { text: kind + reason }), el("span", { class: "badge", text: item.account }),
    el("pre", { text: JSON.stringify(item.event) }));
}

function addEvent(item) {
  const list = $("events-list");
  list.prepend(eventRow(item));
  while (list.children.length > EVENT_ROWS) list.lastElementChild.remove();
  $("events-empty").hidden = list.children.length > 0;
}

async function loadEvents() {
  try {
    await liveFeed("/emulator/stream-events/stream", "userdata", async () => {
      const { events } = await api("GET", "/emulator/stream-events?limit=" + EVENT_ROWS);
      return events;
    }, (item) => addEvent(item)).ready;
  } catch (error) {
    $("events-empty").textContent = "No user data stream on this emulator.";
  }
}

poll();
refreshFaults().catch((error) => say("Cannot read the faults: " + error.message));
loadLog().catch((error) => say("Cannot read the request log: " + error.message));
loadEvents();
setInterval(() => refreshFaults().catch(() => {}), 2000);
