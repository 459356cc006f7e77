/* A trade's payoff diagram (TradingView Lightweight Charts' options chart: price on the x axis).
 *
 * The data is the page's own JSON (#payoff-chart-data, watchlist.trade_page): the P&L at the
 * nearest expiration and today over a range of spots, the breakevens, the extremes and the
 * spot. The API object is set on the container as `mojoChart` ({chart, series, markers,
 * priceLines}) so a test can read series.data(). Colours come from the admin's CSS variables,
 * so the chart follows its light and dark themes.
 */
(function () {
  "use strict";
  const source = document.getElementById("payoff-chart-data");
  const container = document.getElementById("payoff-chart");
  const LWC = window.LightweightCharts;
  if (!source || !container || !LWC || !window.mojoChartTheme) {
    return;
  }
  const data = JSON.parse(source.textContent);
  if (!data) {
    return;
  }

  const theme = window.mojoChartTheme.options;  // chart_theme.js

  const COLORS = { horizon: "#2962ff", today: "#ff9800", profit: "#26a69a", loss: "#ef5350", spot: "#607d8b" };
  const money = { type: "price", precision: 2, minMove: 0.01 };

  function points(curve) {
    return curve.map(function (p) { return { time: p.price, value: p.pnl }; });
  }

  const chart = LWC.createOptionsChart(container, Object.assign({ autoSize: true }, theme()));
  const series = {};
  if (data.at_horizon.length) {
    series.horizon = chart.addSeries(LWC.LineSeries, {
      color: COLORS.horizon, lineWidth: 2, priceFormat: money, title: "At " + data.horizon,
    });
    series.horizon.setData(points(data.at_horizon));
  }
  series.today = chart.addSeries(LWC.LineSeries, {
    color: COLORS.today, lineWidth: 2, lineStyle: LWC.LineStyle.Dashed, priceFormat: money, title: "Today",
  });
  series.today.setData(points(data.at_today));

  const main = series.horizon || series.today;
  const priceLines = [main.createPriceLine({ price: 0, color: COLORS.spot, lineWidth: 1, title: "0" })];
  if (data.max_profit !== null) {
    priceLines.push(main.createPriceLine({
      price: data.max_profit, color: COLORS.profit, lineStyle: LWC.LineStyle.Dotted, title: "Max profit",
    }));
  }
  if (data.max_loss !== null) {
    priceLines.push(main.createPriceLine({
      price: -data.max_loss, color: COLORS.loss, lineStyle: LWC.LineStyle.Dotted, title: "Max loss",
    }));
  }

  // Markers sit on points of the curve: the spot and the breakevens are points of it.
  const marks = [];
  if (data.spot !== null) {
    marks.push({ time: data.spot, position: "aboveBar", shape: "arrowDown", color: COLORS.spot, text: "Spot", id: "spot" });
  }
  data.breakevens.forEach(function (price, i) {
    if (price >= data.price_from && price <= data.price_to) {
      marks.push({ time: price, position: "inBar", shape: "circle", color: COLORS.horizon, text: "BE", id: "breakeven:" + i });
    }
  });
  marks.sort(function (a, b) { return a.time - b.time; });
  const markers = LWC.createSeriesMarkers(main, marks);

  chart.timeScale().fitContent();
  container.mojoChart = { chart: chart, series: series, markers: markers, priceLines: priceLines };

  window.mojoChartTheme.follow([chart]);
})();
