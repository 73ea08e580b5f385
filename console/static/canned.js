// 常用语: search the canned replies and insert one, figures filled in, into the reply box.
(function () {
  "use strict";
  var box = document.getElementById("canned-replies");
  var reply = document.getElementById("reply-text");
  if (!box || !reply) { return; }
  var search = document.getElementById("canned-search");
  var list = document.getElementById("canned-list");
  var timer = null;

  function insert(text) {
    var start = reply.selectionStart || 0, end = reply.selectionEnd || 0;
    reply.value = reply.value.slice(0, start) + text + reply.value.slice(end);
    reply.focus();
    reply.selectionStart = reply.selectionEnd = start + text.length;
  }
  function show(replies) {
    list.textContent = "";
    if (!replies.length) {
      var none = document.createElement("li");
      none.textContent = "没有找到相关常用语";
      list.appendChild(none);
    }
    replies.forEach(function (r) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.title = "插入到回复框";
      var title = document.createElement("strong");
      title.textContent = r.title + "：";
      button.appendChild(title);
      button.appendChild(document.createTextNode(r.text));  // text, never HTML
      button.addEventListener("click", function () { insert(r.text); });
      item.appendChild(button);
      list.appendChild(item);
    });
  }
  function load() {
    var url = "/agent/api/tickets/" + encodeURIComponent(box.dataset.ticket) + "/canned-replies?q=" +
              encodeURIComponent(search.value);
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (body) { show(body.replies || []); }).catch(function () { show([]); });
  }
  search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(load, 200); });
  box.addEventListener("toggle", function () { if (box.open && !list.children.length) { load(); } });
}());
