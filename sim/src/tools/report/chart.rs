//! The tip chart: the tip height over simulated time as an SVG step line, reorgs as dots,
//! fault spans shaded.

use std::fmt::Write as _;

use super::read::TipPoint;
use super::text::{esc, seconds};
use crate::harness::faults::FaultReport;
use crate::harness::runner::RunResult;

/// Points of the tip chart at most (evenly thinned, the last always kept).
pub(super) const TIP_POINTS_MAX: usize = 4000;
/// The tip height over simulated time as an SVG step line.
pub(super) fn tip_chart(
    out: &mut String,
    points: &[TipPoint],
    result: &RunResult,
    faults: &[FaultReport],
) {
    const W: i64 = 560;
    const H: i64 = 200;
    const LEFT: i64 = 70;
    const RIGHT: i64 = 64;
    const TOP: i64 = 14;
    const BOTTOM: i64 = 34;
    let plot_w = (W - LEFT - RIGHT) as f64;
    let plot_h = (H - TOP - BOTTOM) as f64;
    let end_ms = points
        .iter()
        .map(|p| p.at_ms)
        .max()
        .unwrap_or(0)
        .max(result.simulated_ms)
        .max(1);
    let step = points.len().div_ceil(TIP_POINTS_MAX).max(1);
    let points: Vec<TipPoint> = points
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0 || i + 1 == points.len())
        .map(|(_, p)| *p)
        .collect();
    let low = points.iter().map(|p| p.height).min().unwrap_or(0);
    let high = points
        .iter()
        .map(|p| p.height)
        .max()
        .unwrap_or(0)
        .max(low + 1);
    let x = |ms: u64| LEFT as f64 + ms as f64 * plot_w / end_ms as f64;
    let y = |height: u32| {
        TOP as f64 + f64::from(high - height.min(high)) * plot_h / f64::from(high - low)
    };
    let final_height = result.outcome.tip_height;

    let _ = writeln!(
        out,
        "<figure class=\"tip\"><figcaption>Tip height over simulated time</figcaption>\n\
         <svg id=\"tip-chart\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"tip height over time\" data-final-height=\"{final_height}\" data-points=\"{}\">",
        points.len()
    );
    for fault in faults.iter().filter(|f| f.fired_at_ms.is_some()) {
        let end = fault.end_ms.unwrap_or(end_ms);
        let (x0, x1) = (x(fault.start_ms.min(end_ms)), x(end.min(end_ms)));
        let _ = writeln!(
            out,
            "<rect class=\"chart-fault\" x=\"{x0:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{plot_h:.1}\"><title>{}</title></rect>",
            (x1 - x0).max(1.5),
            esc(&fault.label)
        );
    }
    let _ = writeln!(
        out,
        "<path class=\"axis\" d=\"M{LEFT},{TOP} V{b} H{r}\"/>",
        b = H - BOTTOM,
        r = W - RIGHT
    );
    let mut heights = vec![low, high];
    if high - low >= 2 {
        heights.insert(1, low + (high - low) / 2);
    }
    for height in heights {
        let _ = writeln!(
            out,
            "<text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{height}</text>",
            LEFT - 6,
            y(height) + 4.0
        );
    }
    for quarter in 0..=4u64 {
        let ms = end_ms * quarter / 4;
        let anchor = match quarter {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = writeln!(
            out,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            x(ms),
            H - BOTTOM + 16,
            seconds(ms)
        );
    }
    let _ = writeln!(
        out,
        "<text class=\"axis-name\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">simulated time</text>",
        LEFT as f64 + plot_w / 2.0,
        H - 2
    );
    match points.first() {
        None => {
            let _ = writeln!(
                out,
                "<text class=\"tick\" x=\"{}\" y=\"{}\">no tip reported</text>",
                LEFT + 10,
                TOP + 20
            );
        }
        Some(first) => {
            let mut path = format!("M{:.1},{:.1}", x(first.at_ms), y(first.height));
            for p in &points[1..] {
                let _ = write!(path, " H{:.1} V{:.1}", x(p.at_ms), y(p.height));
            }
            let _ = write!(path, " H{:.1}", x(end_ms));
            let _ = writeln!(out, "<path class=\"tip-line\" d=\"{path}\"/>");
            for p in points.iter().filter(|p| p.reorg_depth > 0) {
                let _ = writeln!(
                    out,
                    "<circle class=\"reorg\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\"><title>reorg of depth {} at {} ms to height {}</title></circle>",
                    x(p.at_ms),
                    y(p.height),
                    p.reorg_depth,
                    p.at_ms,
                    p.height
                );
            }
            let last = points.last().map_or(final_height, |p| p.height);
            let _ = writeln!(
                out,
                "<text class=\"final-tip\" x=\"{:.1}\" y=\"{:.1}\">{final_height}</text>",
                x(end_ms) + 6.0,
                y(last) + 4.0
            );
        }
    }
    out.push_str("</svg></figure>\n");
}
