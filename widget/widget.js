// The bank's web chat widget. Embed: a config object and one script tag, e.g.
//   <script>window.BankChatConfig = { socketUrl: "http://localhost:5005" };</script>
//   <script src="http://localhost:8080/widget/widget.js"></script>
// Talks to Rasa's socket.io channel; keeps the session, history and unsent messages across reloads;
// messages typed offline are sent once when the connection is back. Bot and agent text
// is always text (textContent), never HTML. The server issues (and signs) the session id; the
// saved transcript ends with the session (sessionIdleMinutes idle, or "结束对话" at once), so
// no figure stays in the browser's storage after it. socketUrl must be one of
// allowedSocketUrls when the page lists them. bankLoginToken (from the bank's login) is
// passed to the server, which checks it.
(function () {
  "use strict";
  const script = document.currentScript;
  const base = (script && script.src.replace(/widget\.js.*$/, "")) || "/widget/";
  if (window.io) { start(); return; }
  const vendor = document.createElement("script");  // socket.io-client, served beside the widget
  vendor.src = base + "vendor/socket.io.min.js";
  vendor.onload = start;
  document.head.appendChild(vendor);

function start() {
  const config = Object.assign({
    socketUrl: "http://localhost:5005",
    title: "邮储银行智能客服 · 小邮",
    avatar: null,
    open: true,
    maxLength: 1000,
    storageKey: "bankchat",
    sessionIdleMinutes: 30,  // policy.yml's web_chat.session_idle_minutes: the server ends it then too
    allowedSocketUrls: null,
    bankLoginToken: null,
    bankLoginName: "",
  }, window.BankChatConfig || {});

  const store = {
    get(key, fallback) { try { return JSON.parse(localStorage.getItem(config.storageKey + ":" + key)) ?? fallback; } catch (e) { return fallback; } },
    set(key, value) { try { localStorage.setItem(config.storageKey + ":" + key, JSON.stringify(value)); } catch (e) { /* private mode */ } },
    clear() { ["history", "session", "outbox", "active", "login"].forEach((key) => { try { localStorage.removeItem(config.storageKey + ":" + key); } catch (e) { /* private mode */ } }); },
  };
  const idleMs = config.sessionIdleMinutes * 60 * 1000;
  function expired() { const active = store.get("active", null); return active !== null && Date.now() - active > idleMs; }
  function touch() { store.set("active", Date.now()); }
  // A transcript from a session that has ended (idle too long, or another bank login) is not shown or kept.
  if (expired() || store.get("login", "") !== (config.bankLoginToken ? config.bankLoginName || "bank" : "")) store.clear();
  store.set("login", config.bankLoginToken ? config.bankLoginName || "bank" : "");

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Plain text with http(s) links made clickable, safely (no HTML is ever parsed).
  function renderText(container, text) {
    const parts = String(text).split(/(https?:\/\/[^\s<>"'，。]+)/g);
    parts.forEach((part, i) => {
      if (i % 2 === 1) {
        const link = el("a", { href: part, target: "_blank", rel: "noopener noreferrer nofollow" }, part);
        container.appendChild(link);
      } else if (part) {
        container.appendChild(document.createTextNode(part));
      }
    });
  }

  const link = el("link", { rel: "stylesheet", href: base + "widget.css" });
  document.head.appendChild(link);

  const root = el("section", { class: "bankchat", "aria-label": "在线客服" });
  const launcher = el("button", { class: "bankchat-launcher", type: "button", "aria-expanded": "false" }, "在线客服");
  const panel = el("div", { class: "bankchat-panel", role: "dialog", "aria-label": config.title });
  const header = el("header", { class: "bankchat-header" });
  if (config.avatar) header.appendChild(el("img", { src: config.avatar, alt: "", class: "bankchat-avatar" }));
  header.appendChild(el("h2", {}, config.title));
  const end = el("button", { type: "button", class: "bankchat-end" }, "结束对话");
  const close = el("button", { type: "button", class: "bankchat-close", "aria-label": "收起对话" }, "×");
  header.append(end, close);
  const status = el("div", { class: "bankchat-status", role: "status" });
  const log = el("ol", { class: "bankchat-log", "aria-live": "polite", "aria-label": "对话记录" });
  const typing = el("div", { class: "bankchat-typing", "aria-hidden": "true" }, "小邮正在输入…");
  const form = el("form", { class: "bankchat-form" });
  const input = el("textarea", { rows: "1", maxlength: String(config.maxLength + 200), "aria-label": "输入消息", placeholder: "请输入您的问题，按回车发送" });
  const send = el("button", { type: "submit" }, "发送");
  form.append(input, send);
  panel.append(header, status, log, typing, form);
  root.append(launcher, panel);
  document.body.appendChild(root);

  let history = store.get("history", []);
  let sessionId = store.get("session", null);  // issued by the server on session_confirm

  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.hidden = open;
    if (open) input.focus();
    store.set("open", open);
  }
  launcher.addEventListener("click", () => setOpen(true));
  close.addEventListener("click", () => { setOpen(false); launcher.focus(); });

  function addMessage(message, save) {
    const item = el("li", { class: "bankchat-msg " + message.who + (message.agent ? " agent" : "") });
    if (message.agent) item.appendChild(el("span", { class: "bankchat-who" }, "人工客服 " + message.agent));
    const bubble = el("div", { class: "bankchat-bubble" });
    renderText(bubble, message.text || "");
    item.appendChild(bubble);
    if (message.buttons && message.buttons.length && !message.used) {
      const replies = el("div", { class: "bankchat-replies", role: "group", "aria-label": "快捷回复" });
      message.buttons.forEach((button) => {
        const choice = el("button", { type: "button" }, button.title);
        choice.addEventListener("click", () => {
          message.used = true;
          store.set("history", history);
          replies.remove();  // a quick reply is used once
          sendText(button.payload, button.title);
        });
        replies.appendChild(choice);
      });
      item.appendChild(replies);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    if (save) {
      history.push(message);
      history = history.slice(-200);
      store.set("history", history);
      touch();
    }
  }
  history.forEach((message) => addMessage(message, false));

  // Messages wait here until the server has confirmed this session (after every reconnect),
  // so each is sent once and never on a connection that has not joined the session yet.
  let outbox = store.get("outbox", []);
  let ready = false;
  function flush() {
    while (ready && outbox.length) {
      socket.emit("user_uttered", { message: outbox.shift(), session_id: sessionId });
      store.set("outbox", outbox);
    }
  }

  // The transcript, the session and unsent messages go: the customer ended it, or it timed out.
  function forget(note) {
    store.clear();
    store.set("login", config.bankLoginToken ? config.bankLoginName || "bank" : "");
    history = [];
    outbox = [];
    sessionId = null;
    log.replaceChildren();
    typing.classList.remove("on");
    if (note) addMessage({ who: "note", text: note }, false);
  }
  function requestSession() {
    socket.emit("session_request", { session_id: sessionId, bank_login_token: config.bankLoginToken || undefined });
  }

  if (config.allowedSocketUrls && config.allowedSocketUrls.indexOf(config.socketUrl) < 0) {
    status.textContent = "在线客服暂时无法连接，请稍后再试或拨打客服热线95580。";
    setOpen(store.get("open", config.open));
    return;  // never connect to a server the page does not list
  }
  const socket = io(config.socketUrl, { transports: ["websocket", "polling"], reconnection: true });
  socket.on("connect", requestSession);
  socket.on("session_confirm", (confirmed) => {
    if (confirmed !== sessionId) {
      // A new session: the server did not know (or no longer keeps) the one asked for.
      if (sessionId !== null) forget("上一次对话已结束，我们重新开始。");
      sessionId = confirmed;
      store.set("session", sessionId);
    }
    touch();
    ready = true;
    status.textContent = "";
    panel.classList.remove("offline");
    flush();
  });
  // After the identity check the server moves the conversation to a new session id.
  socket.on("session_rotated", (rotated) => {
    sessionId = rotated;
    store.set("session", sessionId);
  });
  end.addEventListener("click", () => {
    socket.emit("session_end");
    ready = false;
    forget("对话已结束，您的聊天记录已从本设备清除。如需帮助，可以随时再发消息给我。");
    requestSession();
  });
  // The session ends after sessionIdleMinutes without a message, and so does the saved transcript.
  setInterval(() => {
    if (history.length && expired()) {
      socket.emit("session_end");
      ready = false;
      forget("对话长时间未操作，已自动结束，聊天记录已从本设备清除。");
      requestSession();
    }
  }, 15000);
  socket.on("disconnect", () => {
    ready = false;
    status.textContent = "网络已断开，您输入的消息会在恢复连接后自动发送。";
    panel.classList.add("offline");
  });
  socket.on("bot_uttered", (data) => {
    typing.classList.remove("on");
    const agent = data && data.metadata && data.metadata.agent;
    if (data && data.text) {
      addMessage({ who: "bot", text: data.text, buttons: data.quick_replies || data.buttons || [], agent: agent || null }, true);
    }
  });

  function sendText(text, shown) {
    text = String(text || "").trim();
    if (!text) return;  // an empty send is ignored
    let notice = null;
    if (text.length > config.maxLength) {
      text = text.slice(0, config.maxLength);
      notice = "消息过长，已截取前" + config.maxLength + "个字发送。";
    }
    addMessage({ who: "user", text: shown || text }, true);
    if (notice) addMessage({ who: "note", text: notice }, true);
    typing.classList.add("on");
    outbox.push(text);
    store.set("outbox", outbox);
    flush();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendText(input.value);
    input.value = "";
    input.focus();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  setOpen(store.get("open", config.open));
}
})();
