// The dashboard's charts (ECharts, served locally): every bar and point labelled with its value.
(function () {
  "use strict";
  var figures = JSON.parse(document.getElementById("dashboard-data").textContent);
  var GREEN = "#007a3d", ORANGE = "#e08a00", GREY = "#8a8a8a", RED = "#c0392b";
  var base = { textStyle: { fontFamily: "sans-serif" }, grid: { left: 56, right: 24, top: 40, bottom: 48 },
               tooltip: { trigger: "axis" } };

  function chart(id, option) {
    var node = document.getElementById(id);
    if (!node || !window.echarts) { return; }
    var made = window.echarts.init(node, null, { renderer: "svg" });
    made.setOption(Object.assign({}, base, option));
    window.addEventListener("resize", function () { made.resize(); });
  }
  function daysAxis() { return { type: "category", data: figures.days, name: "日期", nameLocation: "middle", nameGap: 30 }; }
  function valueAxis(name, extra) { return Object.assign({ type: "value", name: name, minInterval: 1 }, extra || {}); }
  function series(name, data, kind, color, extra) {
    // Bars label what they hold (a zero bar says nothing); points label every value.
    var shown = kind === "bar" ? function (p) { return p.value ? p.value : ""; }
                               : function (p) { return p.value == null ? "" : p.value; };
    return Object.assign({ name: name, type: kind, data: data, itemStyle: { color: color }, barMaxWidth: 48,
                           label: { show: true, position: "top", formatter: shown } }, extra || {});
  }

  chart("chart-volume", { legend: { top: 0 }, xAxis: daysAxis(), yAxis: valueAxis("次数"),
    series: [series("会话数", figures.series.conversations, "bar", GREEN), series("转人工", figures.series.handoffs, "bar", ORANGE)] });
  chart("chart-containment", { xAxis: daysAxis(), yAxis: valueAxis("%", { min: 0, max: 100 }),
    series: [series("独立解决率", figures.series.containment, "line", GREEN, { connectNulls: true })] });
  // Complaints beside the customers' mean satisfaction (满意度), which should rise as they fall.
  chart("chart-complaints", { legend: { top: 0 }, xAxis: daysAxis(),
    yAxis: [valueAxis("条"), valueAxis("满意度", { min: 1, max: 5, minInterval: 0, splitLine: { show: false } })],
    series: [series("投诉", figures.series.complaints, "bar", RED),
             series("满意度平均分", figures.satisfaction.mean, "line", GREEN, { yAxisIndex: 1, connectNulls: true })] });
  chart("chart-promises", { legend: { top: 0 }, xAxis: daysAxis(), yAxis: valueAxis("笔"),
    series: [series("新增承诺", figures.series.promises_made, "bar", GREY), series("已兑现", figures.series.promises_kept, "bar", GREEN)] });
  chart("chart-wait", { xAxis: daysAxis(), yAxis: valueAxis("分钟", { minInterval: 0 }),
    series: [series("等待中位数", figures.series.median_wait, "line", ORANGE, { connectNulls: true })] });
  chart("chart-reasons", { grid: { left: 120, right: 40, top: 20, bottom: 40 }, tooltip: { trigger: "item" },
    xAxis: valueAxis("工单数", { nameLocation: "middle", nameGap: 26 }),
    yAxis: { type: "category", data: figures.reasons.map(function (r) { return r.reason; }).reverse() },
    series: [series("工单数", figures.reasons.map(function (r) { return r.count; }).reverse(), "bar", ORANGE,
                    { label: { show: true, position: "right" } })] });
  chart("chart-fallback", { xAxis: daysAxis(), yAxis: valueAxis("%", { min: 0, minInterval: 0 }),
    series: [series("未理解率", figures.fallback_rate, "line", GREY, { connectNulls: true })] });
  chart("chart-negative", { legend: { top: 0 }, xAxis: daysAxis(), yAxis: valueAxis("条"),
    series: [series("强烈负面消息", figures.negative, "bar", RED), series("新建申请", figures.requests, "bar", GREEN)] });
  var colors = [GREEN, ORANGE, RED];
  chart("chart-reviews", { legend: { top: 0 }, grid: { left: 56, right: 24, top: 40, bottom: 40 },
    xAxis: { type: "category", data: figures.reviews.map(function (r) { return r.agent; }), name: "坐席", nameLocation: "middle", nameGap: 26 },
    yAxis: valueAxis("工单数"),
    series: figures.review_words.map(function (word, i) {
      return series(word, figures.reviews.map(function (r) { return r.words[word]; }), "bar", colors[i],
                    { stack: "reviews", label: { show: true, position: "inside", formatter: function (p) { return p.value || ""; } } });
    }) });
}());
