/* The ticker page's price chart and IV panel (TradingView Lightweight Charts, vendored).
 *
 * The data is the page's own JSON (#ticker-chart-data, from stored history and the cache).
 * Each chart's API object is set on its container element as `mojoChart` ({chart, series,
 * markers, eventMarkers, priceLines, range}) so a test can read series.data() and the markers
 * (`markers` on the candles; `eventMarkers`: those after the last session). Colours come
 * from the admin's CSS variables, so the charts follow its light and dark themes.
 */
(function () {
  "use strict";
  const source = document.getElementById("ticker-chart-data");
  const LWC = window.LightweightCharts;
  if (!source || !LWC || !window.mojoChartTheme) {
    return;
  }
  const data = JSON.parse(source.textContent);
  if (data.cold) {
    return;
  }

  const theme = window.mojoChartTheme.options;  // chart_theme.js

  const COLORS = {
    up: "#26a69a", down: "#ef5350", volume: "rgba(128, 128, 128, 0.35)",
    sma_20: "#2962ff", sma_50: "#ff9800", sma_200: "#9c27b0",
    support: "#26a69a", resistance: "#ef5350", iv: "#2962ff", hv: "#ff9800", band: "#9e9e9e",
  };

  // Business days after the last session up to `until`, as whitespace: markers on future dates
  // (the next earnings) need a place on the time scale.
  function futureDays(last, until) {
    const days = [];
    const day = new Date(last + "T12:00:00Z");
    const end = new Date(until + "T12:00:00Z");
    while (day < end) {
      day.setUTCDate(day.getUTCDate() + 1);
      if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6) {
        days.push({ time: day.toISOString().slice(0, 10) });
      }
    }
    return days;
  }

  function marker(m) {
    const kinds = {
      swing_high: { position: "aboveBar", shape: "arrowDown", color: COLORS.resistance },
      swing_low: { position: "belowBar", shape: "arrowUp", color: COLORS.support },
      earnings: { position: "aboveBar", shape: "circle", color: "#ff9800" },
      ex_dividend: { position: "belowBar", shape: "square", color: "#607d8b" },
    };
    return Object.assign({ time: m.time, text: m.text, id: m.kind + ":" + m.time }, kinds[m.kind]);
  }

  function priceChart(container) {
    const chart = LWC.createChart(container, Object.assign({ autoSize: true }, theme()));
    const candles = chart.addSeries(LWC.CandlestickSeries, {
      upColor: COLORS.up, downColor: COLORS.down, borderVisible: false,
      wickUpColor: COLORS.up, wickDownColor: COLORS.down,
    });
    const volume = chart.addSeries(LWC.HistogramSeries, {
      color: COLORS.volume, priceFormat: { type: "volume" }, priceScaleId: "volume", lastValueVisible: false,
    });
    chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    const series = { candles: candles, volume: volume };
    Object.keys(data.sma).forEach(function (name) {
      series[name] = chart.addSeries(LWC.LineSeries, {
        color: COLORS[name], lineWidth: 1, title: name.replace("sma_", "SMA "),
        priceLineVisible: false, crosshairMarkerVisible: false,
      });
    });
    const priceLines = [];
    data.support.forEach(function (price) {
      priceLines.push(candles.createPriceLine({
        price: price, color: COLORS.support, lineWidth: 1, lineStyle: LWC.LineStyle.Dashed, title: "S",
      }));
    });
    data.resistance.forEach(function (price) {
      priceLines.push(candles.createPriceLine({
        price: price, color: COLORS.resistance, lineWidth: 1, lineStyle: LWC.LineStyle.Dashed, title: "R",
      }));
    });
    const markers = LWC.createSeriesMarkers(candles, []);
    // Events after the last session (the next earnings, a declared ex-date) sit on a line of their
    // own, drawn as nothing but its markers: a marker needs a point with a value at its time.
    series.events = chart.addSeries(LWC.LineSeries, {
      lineVisible: false, pointMarkersVisible: false, lastValueVisible: false,
      priceLineVisible: false, crosshairMarkerVisible: false,
    });
    const eventMarkers = LWC.createSeriesMarkers(series.events, []);
    const api = {
      chart: chart, series: series, markers: markers, eventMarkers: eventMarkers,
      priceLines: priceLines, range: null,
    };

    api.setRange = function (name) {
      const start = data.ranges[name];
      const shown = function (point) { return point.time >= start; };
      const bars = data.candles.filter(shown);
      const last = bars.length ? bars[bars.length - 1].time : data.today;
      const latestMarker = data.markers.reduce(function (latest, m) { return m.time > latest ? m.time : latest; }, last);
      candles.setData(bars.concat(futureDays(last, latestMarker)));
      volume.setData(data.volume.filter(shown));
      Object.keys(data.sma).forEach(function (name) { series[name].setData(data.sma[name].filter(shown)); });
      const past = function (m) { return shown(m) && m.time <= last; };
      const ahead = data.markers.filter(function (m) { return m.time > last; });
      markers.setMarkers(data.markers.filter(past).map(marker));
      const lastClose = bars.length ? bars[bars.length - 1].close : 0;
      series.events.setData(futureDays(last, latestMarker).map(function (day) {
        return ahead.some(function (m) { return m.time === day.time; }) ? { time: day.time, value: lastClose } : day;
      }));
      eventMarkers.setMarkers(ahead.map(marker).map(function (m) {
        return Object.assign(m, { position: "inBar" });
      }));
      // The range's sessions and the events after them (the next earnings) are all in view.
      if (bars.length) {
        chart.timeScale().setVisibleRange({ from: bars[0].time, to: latestMarker });
      } else {
        chart.timeScale().fitContent();
      }
      api.range = name;
      document.querySelectorAll(".mojo-range").forEach(function (button) {
        button.classList.toggle("selected", button.dataset.range === name);
      });
    };
    return api;
  }

  function ivChart(container) {
    const chart = LWC.createChart(container, Object.assign({ autoSize: true }, theme()));
    const percent = { type: "custom", formatter: function (v) { return (v * 100).toFixed(1) + " %"; } };
    const iv = chart.addSeries(LWC.LineSeries, { color: COLORS.iv, lineWidth: 2, title: "ATM IV", priceFormat: percent });
    const hv = chart.addSeries(LWC.LineSeries, { color: COLORS.hv, lineWidth: 1, title: "HV 20", priceFormat: percent });
    iv.setData(data.iv.points);
    hv.setData(data.iv.hv_20.filter(function (p) {
      return !data.iv.points.length || p.time >= data.iv.points[0].time;
    }));
    const band = [];
    if (data.iv.range_52w) {
      ["low", "high"].forEach(function (edge) {
        band.push(iv.createPriceLine({
          price: data.iv.range_52w[edge], color: COLORS.band, lineWidth: 1,
          lineStyle: LWC.LineStyle.Dotted, title: "52w " + edge,
        }));
      });
    }
    chart.timeScale().fitContent();
    return { chart: chart, series: { iv: iv, hv_20: hv }, band: band };
  }

  const priceContainer = document.getElementById("price-chart");
  const ivContainer = document.getElementById("iv-chart");
  const charts = [];
  if (priceContainer) {
    priceContainer.mojoChart = priceChart(priceContainer);
    priceContainer.mojoChart.setRange(priceContainer.dataset.defaultRange || "1Y");
    charts.push(priceContainer.mojoChart.chart);
    document.querySelectorAll(".mojo-range").forEach(function (button) {
      button.addEventListener("click", function () { priceContainer.mojoChart.setRange(button.dataset.range); });
    });
  }
  if (ivContainer) {
    ivContainer.mojoChart = ivChart(ivContainer);
    charts.push(ivContainer.mojoChart.chart);
  }
  window.mojoChartTheme.follow(charts);
})();
