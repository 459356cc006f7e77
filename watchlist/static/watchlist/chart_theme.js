/* The admin's look for mojo's charts (TradingView Lightweight Charts, vendored): colours from the
 * admin's CSS variables, followed when its theme toggle switches light and dark.
 *
 * window.mojoChartTheme.options() gives a chart's layout, grid and scale colours now;
 * window.mojoChartTheme.follow(charts) re-applies them to each chart whenever the toggle sets
 * data-theme on <html>. Loaded before the page's own chart script.
 */
(function () {
  "use strict";

  function css(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function options() {
    return {
      layout: {
        background: { color: css("--body-bg", "#ffffff") },
        textColor: css("--body-fg", "#333333"),
        attributionLogo: true,
      },
      grid: {
        vertLines: { color: css("--hairline-color", "#e8e8e8") },
        horzLines: { color: css("--hairline-color", "#e8e8e8") },
      },
      rightPriceScale: { borderColor: css("--border-color", "#cccccc") },
      timeScale: { borderColor: css("--border-color", "#cccccc") },
    };
  }

  function follow(charts) {
    new MutationObserver(function () {
      charts.forEach(function (chart) { chart.applyOptions(options()); });
    }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  }

  window.mojoChartTheme = { options: options, follow: follow };
})();
