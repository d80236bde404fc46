//! The page's CSS (inline: the page loads nothing).

pub(super) const STYLE: &str = r#"
:root { --send: #1d4ed8; --recv: #047857; --fault: rgba(245, 158, 11, 0.16); --fault-edge: #d97706; --bad: #b91c1c; --muted: #6b7280; --line: #e5e7eb; }
* { box-sizing: border-box; }
body { margin: 0; padding: 16px 24px 48px; font: 14px/1.45 "DejaVu Sans", "Liberation Sans", system-ui, sans-serif; color: #111827; background: #fff; }
header#summary { display: flex; gap: 28px; align-items: flex-start; justify-content: space-between; border-bottom: 1px solid var(--line); padding-bottom: 10px; }
header .intro { flex: 1 1 520px; min-width: 420px; }
h1 { font-size: 22px; margin: 0 0 4px; font-family: "DejaVu Sans Mono", ui-monospace, monospace; }
h2 { font-size: 17px; margin: 22px 0 6px; }
.description { margin: 0 0 10px; color: #374151; max-width: 80ch; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(205px, 1fr)); gap: 6px 18px; margin: 0; }
dl.facts div { min-width: 0; }
dl.facts div:last-child { grid-column: 1 / -1; }
dt { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
dd { margin: 0; font-weight: 600; }
dd.pass { color: #047857; } dd.fail { color: var(--bad); }
figure.tip { margin: 0; flex: 0 0 auto; }
figcaption { font-size: 12px; color: var(--muted); }
nav { margin: 8px 0 0; font-size: 13px; }
nav a { color: var(--send); }
.note { color: #4b5563; font-size: 12.5px; max-width: 150ch; margin: 4px 0; }
.k-send { color: var(--send); font-weight: 600; } .k-recv { color: var(--recv); font-weight: 600; }
.lane-heads { position: sticky; top: 0; z-index: 2; background: rgba(255, 255, 255, 0.96); border-bottom: 1px solid var(--line); }
.lane-heads text { text-anchor: middle; }
.lane-name { font-weight: 700; font-size: 14px; fill: #111827; } .lane-name.node { fill: var(--send); }
.lane-what { font-size: 11px; fill: var(--muted); }
svg { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; }
svg.diagram { display: block; }
.lane line { stroke: #9ca3af; stroke-width: 1.5; stroke-dasharray: 2 3; }
.gap line { stroke: #d1d5db; stroke-dasharray: 6 4; } .gap text { font-size: 11px; fill: var(--muted); text-anchor: end; font-style: italic; }
.time { font: 11px "DejaVu Sans Mono", ui-monospace, monospace; fill: #4b5563; text-anchor: end; }
.arrow .shaft { stroke-width: 1.6; fill: none; }
.arrow[data-direction="send"] .shaft { stroke: var(--send); } .arrow[data-direction="recv"] .shaft { stroke: var(--recv); }
.head-send { fill: var(--send); } .head-recv { fill: var(--recv); }
.label, .mark-text, .fault-label, .fault-end-text, .elided-text { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.fault .fault-label, .fault-end-text { stroke: #fef3e2; }
.label { font-size: 11px; }
.label .cmd { font-weight: 700; }
.arrow[data-direction="send"] .cmd { fill: var(--send); } .arrow[data-direction="recv"] .cmd { fill: var(--recv); }
.label .detail { fill: #4b5563; font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: 10px; }
.arrow:hover .shaft { stroke-width: 3; } .arrow:hover .label { font-weight: 600; }
.fault rect { fill: var(--fault); stroke: var(--fault-edge); stroke-width: 1; }
.fault-label { font-size: 11.5px; font-weight: 700; fill: #92400e; }
.fault[data-fired="false"] rect { fill: url(#never-fired); stroke: #6b7280; stroke-dasharray: 5 3; opacity: .8; }
.fault[data-fired="false"] .fault-label { fill: #374151; }
.fault-end-text { font-size: 11px; fill: #92400e; font-style: italic; }
.disconnect .cross { stroke: var(--bad); stroke-width: 2.4; }
.disconnect .mark-text { fill: var(--bad); font-size: 11.5px; font-weight: 600; }
.disconnect[data-by="peer"] .cross { stroke: #c2410c; } .disconnect[data-by="peer"] .mark-text { fill: #c2410c; }
.connect circle { fill: #fff; stroke: #374151; stroke-width: 1.5; }
.start circle { fill: var(--send); }
.mark-text { font-size: 11px; fill: #374151; }
.elided rect { fill: #f9fafb; stroke: #9ca3af; stroke-dasharray: 4 3; }
.elided-text { font-size: 11.5px; fill: #374151; font-style: italic; }
#tip-chart .axis { stroke: #9ca3af; fill: none; }
#tip-chart .tick, #tip-chart .axis-name { font-size: 11px; fill: var(--muted); }
#tip-chart .tip-line { stroke: var(--send); stroke-width: 2; fill: none; }
#tip-chart .chart-fault { fill: var(--fault); }
#tip-chart .reorg { fill: var(--bad); }
#tip-chart .final-tip { font-size: 13px; font-weight: 700; fill: var(--send); }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f9fafb; font-weight: 600; }
tr.fail td.result, tr.fail td.violation, tr.never-fired td { color: var(--bad); font-weight: 600; }
tr.pass td.result { color: #047857; }
tr.none td { color: var(--muted); font-style: italic; }
#failures li { color: var(--bad); }
.all-met { color: #047857; }
pre { background: #f9fafb; border: 1px solid var(--line); padding: 8px; font-size: 12px; overflow-x: auto; }
"#;
