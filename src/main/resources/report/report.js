// The report's sections, drawn from the figures inline in the page (#pql-data) with Chart.js. Each chart's figure
// says whether it rendered (data-rendered), so a browser test can check every one; a section without figures says
// so in words instead of drawing an empty chart.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('pql-data').textContent);
  const main = document.getElementById('report');
  const palette = ['#2f6fde', '#e8710a', '#1e8e3e', '#c5221f', '#9334e6', '#12b5cb', '#f9ab00', '#5f6368',
    '#d01884', '#7cb342', '#3949ab', '#00897b', '#8d6e63', '#546e7a'];
  Chart.defaults.animation = false; // drawn at once: what a screenshot and a test see is the chart
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  const pct = (v, digits) => v == null ? '–' : (100 * v).toFixed(digits == null ? 1 : digits) + '%';
  const num = v => v == null ? '–' : Number(v).toLocaleString('en-US', {maximumFractionDigits: 2});
  const times = v => v == null ? '–' : Number(v).toFixed(v < 10 ? 2 : 1) + 'x';
  const interval = (lo, hi, f) => lo == null || hi == null ? '' : ' (' + f(lo) + '–' + f(hi) + ')';

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (text != null) e.textContent = text;
    return e;
  }

  function section(id, title, intro) {
    const s = el('section', {id: id});
    s.appendChild(el('h2', {}, title));
    if (intro) s.appendChild(el('p', {class: 'intro'}, intro));
    main.appendChild(s);
    const link = el('a', {href: '#' + id}, title);
    document.getElementById('toc').appendChild(link);
    return s;
  }

  function empty(parent, text) {
    parent.appendChild(el('p', {class: 'empty'}, text));
  }

  /** A figure with its caption; the chart is drawn into it, and it records whether it was. */
  function chart(parent, name, caption, height, config) {
    const fig = el('figure', {class: 'chart', 'data-chart': name});
    const box = el('div', {class: 'box', style: 'height:' + height + 'px'});
    const canvas = el('canvas', {role: 'img', 'aria-label': caption});
    box.appendChild(canvas);
    fig.appendChild(box);
    fig.appendChild(el('figcaption', {}, caption));
    parent.appendChild(fig);
    try {
      new Chart(canvas, config);
      fig.setAttribute('data-rendered', 'true');
    } catch (e) {
      fig.setAttribute('data-rendered', 'false');
      console.error('pql report: chart ' + name + ' failed: ' + e);
    }
  }

  function table(parent, headers, rows) {
    const t = el('table');
    const head = el('tr');
    headers.forEach(h => head.appendChild(el('th', {}, h)));
    t.appendChild(head);
    rows.forEach(r => {
      const tr = el('tr');
      r.forEach((c, i) => tr.appendChild(el('td', i > 0 && /^[-–0-9.,%x ()]+$/.test(String(c)) ? {class: 'num'} : {},
        c)));
      t.appendChild(tr);
    });
    parent.appendChild(t);
  }

  function card(parent, value, key) {
    const c = el('div', {class: 'card'});
    c.appendChild(el('div', {class: 'v'}, value));
    c.appendChild(el('div', {class: 'k'}, key));
    parent.appendChild(c);
  }

  const metric = (name) => data.model && data.model.metrics ? data.model.metrics[name] : null;

  function overview() {
    const s = section('overview', 'Overview', null);
    const run = data.run;
    document.getElementById('subtitle').textContent = 'Warehouse ' + run.warehouse + ' · generated ' +
      run.generated_at;
    const m = data.model;
    if (!m) {
      empty(s, 'No model is trained yet: the drivers, thresholds, gains and calibration come with the first one.');
    } else {
      const p = el('p');
      p.appendChild(document.createTextNode('Model ' + m.model_version + ' '));
      const status = m.status || 'published';
      p.appendChild(el('span', {class: 'badge ' + status}, status));
      if (m.status_reason) p.appendChild(document.createTextNode(' — ' + m.status_reason));
      s.appendChild(p);
      const cards = el('div', {class: 'cards'});
      card(cards, num(metric('model.auc_roc')) + interval(metric('model.auc_roc_lo'), metric('model.auc_roc_hi'), num),
        'AUC-ROC on the locked window');
      card(cards, num(metric('logins_only.auc_roc')), 'AUC-ROC of logins only');
      card(cards, times(metric('model.top_decile_lift')) + interval(metric('model.top_decile_lift_lo'),
        metric('model.top_decile_lift_hi'), times), 'lift of the top decile');
      card(cards, num(m.evaluation_rows) + ' rows, ' + num(m.evaluation_positives) + ' upgrades',
        'locked window ' + m.evaluation_from + ' to ' + m.evaluation_to);
      card(cards, m.horizon_days + ' days', 'label horizon');
      s.appendChild(cards);
    }
  }

  function drivers() {
    const s = section('drivers', 'Drivers', 'Each leading behaviour once: the odds of upgrading per standard ' +
      'deviation of its feature, with the 95% account-level interval (simultaneous over the drivers), and how often ' +
      'resampled accounts kept it (stability). An interval that holds 1 says "no effect" is not ruled out.');
    const d = data.drivers;
    if (!d.length) return empty(s, 'No drivers: no model is trained yet.');
    const labels = d.map(r => r.behaviour);
    chart(s, 'drivers', 'Odds ratio per SD (point) and its 95% interval (bar), log scale', 60 + 26 * d.length, {
      type: 'bar',
      data: {labels: labels, datasets: [
        {type: 'bar', label: '95% interval', data: d.map(r => r.odds_ratio_per_sd_lo == null ? null
          : [r.odds_ratio_per_sd_lo, r.odds_ratio_per_sd_hi]), backgroundColor: 'rgba(47,111,222,0.35)',
          barPercentage: 0.5},
        {type: 'line', label: 'odds ratio per SD', data: d.map(r => r.odds_ratio_per_sd), showLine: false,
          pointRadius: 5, backgroundColor: '#2f6fde', borderColor: '#2f6fde'}]},
      options: {indexAxis: 'y', scales: {x: {type: 'logarithmic', title: {display: true, text: 'odds ratio'}}}}
    });
    table(s, ['#', 'behaviour', 'feature', 'odds per SD', 'stability', 'in words'], d.map(r => [
      String(r.behaviour_rank), r.behaviour, r.feature,
      times(r.odds_ratio_per_sd) + interval(r.odds_ratio_per_sd_lo, r.odds_ratio_per_sd_hi, times),
      pct(r.stability, 0), r.sentence || '']));
  }

  function curves() {
    const s = section('thresholds', 'Threshold curves', 'For each feature a threshold was reported on (or the ' +
      'strongest, when none was): the upgrade rate of the snapshots at or above each cut, and of those in the band ' +
      'up to the next cut. Larger points: cuts inside the reported interval; the star: the reported threshold.');
    const byFeature = new Map();
    data.curves.forEach(r => (byFeature.get(r.feature) || byFeature.set(r.feature, []).get(r.feature)).push(r));
    if (!byFeature.size) return empty(s, 'No threshold curves: no model is trained yet, or it scanned no count.');
    const grid = el('div', {class: 'grid'});
    s.appendChild(grid);
    let i = 0;
    byFeature.forEach((rows, feature) => {
      const reported = rows.find(r => r.reported);
      const caption = feature + (reported ? ' — reported at ' + reported.operator + ' ' + num(reported.cut) : '') +
        ' (' + num(rows[0].rows_qualifying) + ' snapshots at the lowest cut)';
      chart(grid, 'curve-' + (i++), caption, 260, {
        type: 'line',
        data: {labels: rows.map(r => num(r.cut)), datasets: [
          {label: 'rate at or above the cut', data: rows.map(r => r.rate_qualifying), borderColor: '#2f6fde',
            backgroundColor: '#2f6fde', pointStyle: rows.map(r => r.reported ? 'star' : 'circle'),
            pointRadius: rows.map(r => r.reported ? 9 : (r.in_interval ? 4 : 2))},
          {label: 'rate in the band', data: rows.map(r => r.rate_in_band), borderColor: '#e8710a',
            backgroundColor: '#e8710a', borderDash: [4, 3], pointRadius: 2}]},
        options: {scales: {x: {title: {display: true, text: 'cut'}},
          y: {title: {display: true, text: 'upgrade rate'}, ticks: {callback: v => pct(v)}}}}
      });
    });
  }

  function gainsAndCalibration() {
    const s = section('gains', 'Gains and calibration', 'On the locked window, which no choice of the model saw: ' +
      'the share of upgrades caught by the highest-scored share of snapshots (the diagonal is chance), and the ' +
      'predicted probability against the observed upgrade rate by bin (the diagonal is perfect calibration).');
    const bins = data.model && data.model.calibration ? data.model.calibration.slice() : [];
    if (!bins.length) return empty(s, 'No gains or calibration: no model is trained yet.');
    bins.sort((a, b) => b.bin - a.bin);
    const rows = bins.reduce((a, b) => a + b.rows, 0);
    const upgrades = bins.reduce((a, b) => a + b.rows * b.observed_rate, 0);
    let cr = 0, cu = 0;
    const gains = [{x: 0, y: 0}].concat(bins.map(b => {
      cr += b.rows; cu += b.rows * b.observed_rate;
      return {x: cr / rows, y: upgrades > 0 ? cu / upgrades : 0};
    }));
    const grid = el('div', {class: 'grid'});
    s.appendChild(grid);
    chart(grid, 'gains', 'Cumulative gains: ' + num(rows) + ' snapshots, ' + num(Math.round(upgrades)) +
      ' upgrades', 300, {
      type: 'scatter',
      data: {datasets: [
        {label: 'model', data: gains, showLine: true, borderColor: '#2f6fde', backgroundColor: '#2f6fde'},
        {label: 'chance', data: [{x: 0, y: 0}, {x: 1, y: 1}], showLine: true, borderColor: '#9aa5b1',
          borderDash: [4, 3], pointRadius: 0}]},
      options: {scales: {x: {min: 0, max: 1, title: {display: true, text: 'share of snapshots, highest scores first'},
        ticks: {callback: v => pct(v, 0)}}, y: {min: 0, max: 1, title: {display: true, text: 'share of upgrades'},
        ticks: {callback: v => pct(v, 0)}}}}
    });
    const top = Math.max(...bins.map(b => Math.max(b.mean_predicted, b.observed_rate)), 0.01);
    chart(grid, 'calibration', 'Calibration: each point a bin of snapshots (hover for its rows); slope ' +
      num(metric('model.calibration_slope')) + ', intercept ' + num(metric('model.calibration_intercept')), 300, {
      type: 'scatter',
      data: {datasets: [
        {label: 'bins', data: bins.map(b => ({x: b.mean_predicted, y: b.observed_rate, rows: b.rows})),
          backgroundColor: '#e8710a', pointRadius: 5},
        {label: 'perfect', data: [{x: 0, y: 0}, {x: top, y: top}], showLine: true, borderColor: '#9aa5b1',
          borderDash: [4, 3], pointRadius: 0}]},
      options: {scales: {x: {min: 0, title: {display: true, text: 'mean predicted probability'},
        ticks: {callback: v => pct(v)}}, y: {min: 0, title: {display: true, text: 'observed upgrade rate'},
        ticks: {callback: v => pct(v)}}},
        plugins: {tooltip: {callbacks: {label: c => pct(c.raw.x) + ' predicted, ' + pct(c.raw.y) + ' observed' +
          (c.raw.rows != null ? ' (' + c.raw.rows + ' rows)' : '')}}}}
    });
  }

  function weekly() {
    const s = section('weekly', 'PQLs and conversion per week', 'New PQLs per week by definition; the conversion ' +
      'of the accounts that became PQLs in a week against the others (95% Wilson intervals), once the conversion ' +
      'window has closed.');
    const w = data.weeks;
    if (!w.length) return empty(s, 'No weekly metrics yet: they come with the first scored snapshot.');
    const weeks = [...new Set(w.map(r => r.period_start))].sort();
    const names = [...new Set(w.map(r => r.definition_name))];
    const at = (name, week) => w.find(r => r.definition_name === name && r.period_start === week);
    chart(s, 'weekly-pqls', 'New PQLs per week, ' + names.length + ' definitions (the last week may be incomplete)',
      320, {
        type: 'line',
        data: {labels: weeks, datasets: names.map((n, i) => ({label: n, data: weeks.map(k => {
          const r = at(n, k); return r ? r.new_pqls : null;
        }), borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], pointRadius: 2}))},
        options: {scales: {y: {beginAtZero: true, title: {display: true, text: 'new PQLs'}}}}
      });
    const lead = names.includes('any') ? 'any' : names[0];
    const closed = weeks.filter(k => { const r = at(lead, k); return r && r.pql_conversion_rate != null; });
    if (!closed.length) return empty(s, 'No week has a closed conversion window yet.');
    const rows = closed.map(k => at(lead, k));
    chart(s, 'weekly-conversion', 'Conversion of "' + lead + '" PQLs against non-PQLs within ' +
      rows[0].conversion_days + ' days, by week (bars: 95% intervals)', 300, {
      type: 'bar',
      data: {labels: closed, datasets: [
        {type: 'bar', label: 'PQLs: 95% interval', data: rows.map(r => [r.pql_conversion_rate_lo,
          r.pql_conversion_rate_hi]), backgroundColor: 'rgba(47,111,222,0.3)', barPercentage: 0.4},
        {type: 'line', label: 'PQLs', data: rows.map(r => r.pql_conversion_rate), borderColor: '#2f6fde',
          backgroundColor: '#2f6fde'},
        {type: 'bar', label: 'non-PQLs: 95% interval', data: rows.map(r => [r.non_pql_conversion_rate_lo,
          r.non_pql_conversion_rate_hi]), backgroundColor: 'rgba(232,113,10,0.3)', barPercentage: 0.4},
        {type: 'line', label: 'non-PQLs', data: rows.map(r => r.non_pql_conversion_rate), borderColor: '#e8710a',
          backgroundColor: '#e8710a'}]},
      options: {scales: {x: {stacked: false}, y: {beginAtZero: true, ticks: {callback: v => pct(v, 0)},
        title: {display: true, text: 'converted'}}}}
    });
    table(s, ['week', 'PQLs converted', 'non-PQLs converted'], rows.map(r => [r.period_start,
      r.pqls_converted + ' of ' + r.pqls_observed + ': ' + pct(r.pql_conversion_rate) + interval(
        r.pql_conversion_rate_lo, r.pql_conversion_rate_hi, pct),
      r.non_pqls_converted + ' of ' + r.non_pqls_observed + ': ' + pct(r.non_pql_conversion_rate) + interval(
        r.non_pql_conversion_rate_lo, r.non_pql_conversion_rate_hi, pct)]));
  }

  function incidence() {
    const s = section('cohorts', 'Reaching PQL by signup cohort', 'The cumulative incidence of reaching PQL ' +
      'within the cohort window of signing up (Aalen–Johansen, an upgrade first being a competing event), per ' +
      'weekly signup cohort, with its 95% interval.');
    const w = data.weeks.filter(r => r.cohort_pql_incidence != null);
    const names = [...new Set(w.map(r => r.definition_name))].filter(n => n === 'any' || n === 'learned');
    if (!names.length) return empty(s, 'No cohort has had its window yet.');
    const weeks = [...new Set(w.map(r => r.period_start))].sort();
    const datasets = [];
    names.forEach((n, i) => {
      const rows = weeks.map(k => w.find(r => r.definition_name === n && r.period_start === k));
      const color = palette[i];
      datasets.push({type: 'bar', label: n + ': 95% interval', data: rows.map(r => r && r.cohort_pql_incidence_lo !=
        null ? [r.cohort_pql_incidence_lo, r.cohort_pql_incidence_hi] : null), backgroundColor: color + '44',
        barPercentage: 0.5});
      datasets.push({type: 'line', label: n, data: rows.map(r => r ? r.cohort_pql_incidence : null),
        borderColor: color, backgroundColor: color});
    });
    const days = w[0].cohort_days;
    chart(s, 'incidence', 'Share of each weekly cohort that reached PQL within ' + days + ' days of signup', 300, {
      type: 'bar', data: {labels: weeks, datasets: datasets},
      options: {scales: {y: {min: 0, max: 1, ticks: {callback: v => pct(v, 0)}}}}
    });
  }

  function quality() {
    const s = section('quality', 'Data quality', 'What this run read from the lake: the rows it stored, the ' +
      'duplicates it dropped and the rows it rejected by reason (kept in events_rejected with the line they came ' +
      'from).');
    const ingest = data.stages.find(r => r.stage === 'ingest.events');
    const rejected = data.rejected;
    if (!ingest && !rejected.length) return empty(s, 'This run ingested nothing.');
    const labels = [], values = [];
    if (ingest) {
      labels.push('rows read', 'new events', 'duplicates'); values.push(ingest.rows_in, ingest.rows_out,
        ingest.rows_duplicate);
    }
    rejected.forEach(r => { labels.push('rejected: ' + r.reason); values.push(r.rows); });
    chart(s, 'quality', 'Rows of this run\'s ingest (log scale)', 80 + 28 * labels.length, {
      type: 'bar', data: {labels: labels, datasets: [{label: 'rows', data: values,
        backgroundColor: labels.map(l => l.startsWith('rejected') ? '#c5221f' : '#2f6fde')}]},
      options: {indexAxis: 'y', plugins: {legend: {display: false}}, scales: {x: {type: 'logarithmic'}}}
    });
    if (rejected.length) table(s, ['reason', 'rows', 'for example'], rejected.map(r => [r.reason, num(r.rows),
      r.example || '']));
  }

  function stages() {
    const s = section('stages', 'Stage times', 'How long each stage and substage of this run took, and how it ended.');
    const st = data.stages.filter(r => r.seconds != null);
    if (!st.length) return empty(s, 'No stage of this run is in pipeline_runs.');
    const color = {succeeded: '#1e8e3e', skipped: '#9aa5b1', failed: '#c5221f', abandoned: '#c5221f'};
    chart(s, 'stages', 'Seconds per stage (grey: skipped)', 60 + 24 * st.length, {
      type: 'bar', data: {labels: st.map(r => r.stage), datasets: [{label: 'seconds', data: st.map(r => r.seconds),
        backgroundColor: st.map(r => color[r.status] || '#2f6fde')}]},
      options: {indexAxis: 'y', plugins: {legend: {display: false}}}
    });
    // The report stage itself is still running while its page is written.
    const skipped = data.stages.filter(r => r.status !== 'succeeded' && r.status !== 'running');
    if (skipped.length) table(s, ['stage', 'status', 'why'], skipped.map(r => [r.stage, r.status, r.message || '']));
  }

  [overview, drivers, curves, gainsAndCalibration, weekly, incidence, quality, stages].forEach(f => {
    try {
      f();
    } catch (e) {
      console.error('pql report: section ' + f.name + ' failed: ' + e);
    }
  });
  document.getElementById('footer').textContent = 'pql · run ' + data.run.run_id + ' · charts by Chart.js ' +
    data.run.chart_js;
})();
