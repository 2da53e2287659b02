//! Small SVG line plots: series of points with an optional shaded band,
//! axis labels, a title, a legend, linear or logarithmic `x`.
//!
//! ```
//! use cliptheory_cli::plot::{Figure, Series};
//!
//! let svg = Figure::new("mean cos θ_B", "batch size b", "cos θ_B")
//!     .log_x()
//!     .with_series(Series::line("mean", vec![(1.0, 0.2), (4.0, 0.5), (16.0, 0.9)])
//!         .with_band(vec![(1.0, -0.3, 0.7), (4.0, 0.1, 0.8), (16.0, 0.8, 1.0)]))
//!     .to_svg();
//! assert!(svg.starts_with("<svg"));
//! ```

use std::fmt::Write as _;
use std::path::Path;

use cliptheory::error::{Error, Result};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 450.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 62.0;
const PALETTE: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
];

/// One line, optionally with a band `(x, low, high)` shaded behind it.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// The points `(x, y)`, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// A shaded band `(x, low, high)`.
    pub band: Option<Vec<(f64, f64, f64)>>,
    /// Dashed instead of solid.
    pub dashed: bool,
    /// Colour (`#rrggbb`); `None` picks from the palette by position.
    pub color: Option<String>,
    /// Error bars `(x, low, high)`, drawn as whiskers.
    pub error_bars: Option<Vec<(f64, f64, f64)>>,
    /// A marker at each point (default); off for smooth curves.
    pub markers: bool,
}

impl Series {
    /// A solid line through `points`, with a marker at each point.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            band: None,
            dashed: false,
            color: None,
            error_bars: None,
            markers: true,
        }
    }

    /// A smooth curve through many `points`: no markers.
    pub fn curve(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            markers: false,
            ..Self::line(name, points)
        }
    }

    /// Adds error bars `(x, low, high)`.
    pub fn with_error_bars(mut self, bars: Vec<(f64, f64, f64)>) -> Self {
        self.error_bars = Some(bars);
        self
    }

    /// Adds a shaded band `(x, low, high)`.
    pub fn with_band(mut self, band: Vec<(f64, f64, f64)>) -> Self {
        self.band = Some(band);
        self
    }

    /// Draws the line dashed.
    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }

    /// Sets the colour.
    pub fn color(mut self, color: impl Into<String>) -> Self {
        self.color = Some(color.into());
        self
    }
}

/// A plot: title, axis labels, series.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Title above the plot.
    pub title: String,
    /// Label of the horizontal axis.
    pub x_label: String,
    /// Label of the vertical axis.
    pub y_label: String,
    /// Logarithmic horizontal axis (non-positive `x` are skipped).
    pub log_x: bool,
    /// Fixed vertical range; `None` fits the data (with a 5% margin).
    pub y_range: Option<(f64, f64)>,
    /// Labelled positions on the `x` axis (e.g. every batch size drawn);
    /// `None` picks round ticks.
    pub x_ticks: Option<Vec<f64>>,
    /// The series, drawn in order.
    pub series: Vec<Series>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Tick positions `1, 2, 5 × 10^k` covering `[lo, hi]`, about 6 of them.
fn linear_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let raw = span / 6.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// Powers of ten in `[lo, hi]` (and `2`, `5` times them when the range
/// spans fewer than three decades).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let multipliers: &[f64] = if last - first < 3 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    (first..=last)
        .flat_map(|k| multipliers.iter().map(move |m| m * 10f64.powi(k)))
        .filter(|&t| t >= lo * (1.0 - 1e-9) && t <= hi * (1.0 + 1e-9))
        .collect()
}

fn format_tick(t: f64) -> String {
    if t != 0.0 && (t.abs() >= 1e5 || t.abs() < 1e-3) {
        format!("{t:.0e}")
    } else {
        let text = format!("{t:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

impl Figure {
    /// An empty figure.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x: false,
            y_range: None,
            x_ticks: None,
            series: Vec::new(),
        }
    }

    /// Labels exactly these `x` positions.
    pub fn x_ticks(mut self, ticks: Vec<f64>) -> Self {
        self.x_ticks = Some(ticks);
        self
    }

    /// Logarithmic `x` axis.
    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }

    /// Fixes the `y` range.
    pub fn y_range(mut self, low: f64, high: f64) -> Self {
        self.y_range = Some((low, high));
        self
    }

    /// Adds a series.
    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    fn usable_x(&self, x: f64) -> bool {
        x.is_finite() && (!self.log_x || x > 0.0)
    }

    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for series in &self.series {
            for &(x, y) in &series.points {
                if self.usable_x(x) && y.is_finite() {
                    xs.push(x);
                    ys.push(y);
                }
            }
            for &(x, low, high) in series.band.iter().chain(&series.error_bars).flatten() {
                if self.usable_x(x) && low.is_finite() && high.is_finite() {
                    xs.push(x);
                    ys.extend([low, high]);
                }
            }
        }
        let bounds = |v: &[f64], default: (f64, f64)| {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !lo.is_finite() {
                default
            } else if hi - lo <= f64::EPSILON * lo.abs().max(1.0) {
                (lo - 0.5 * lo.abs().max(1.0), hi + 0.5 * hi.abs().max(1.0))
            } else {
                (lo, hi)
            }
        };
        let x = if self.log_x {
            let (lo, hi) = bounds(&xs, (1.0, 10.0));
            if lo <= 0.0 {
                (1.0, 10.0)
            } else if hi / lo < 1.0 + 1e-9 {
                (lo / 2.0, hi * 2.0)
            } else {
                (lo, hi)
            }
        } else {
            bounds(&xs, (0.0, 1.0))
        };
        let y = self.y_range.unwrap_or_else(|| {
            let (lo, hi) = bounds(&ys, (0.0, 1.0));
            let pad = 0.05 * (hi - lo);
            (lo - pad, hi + pad)
        });
        (x, y)
    }

    /// The figure as an SVG document.
    pub fn to_svg(&self) -> String {
        let ((x_lo, x_hi), (y_lo, y_hi)) = self.ranges();
        let plot_w = WIDTH - LEFT - RIGHT;
        let log_x = self.log_x;
        let px = |x: f64| {
            let t = if log_x {
                (x.ln() - x_lo.ln()) / (x_hi.ln() - x_lo.ln())
            } else {
                (x - x_lo) / (x_hi - x_lo)
            };
            LEFT + t * plot_w
        };
        let x_ticks: Vec<f64> = match &self.x_ticks {
            Some(ticks) => ticks
                .iter()
                .copied()
                .filter(|&t| self.usable_x(t) && t >= x_lo && t <= x_hi)
                .collect(),
            None if log_x => log_ticks(x_lo, x_hi),
            None => linear_ticks(x_lo, x_hi),
        };
        // Ticks closer than a line of text (e.g. b = n − 1 and n on a log
        // axis) share one label, "568, 569", at the last of them; labels
        // closer than their width are turned to stay readable.
        let mut groups: Vec<Vec<f64>> = Vec::new();
        for &t in &x_ticks {
            match groups.last_mut() {
                Some(group) if (px(t) - px(group[group.len() - 1])).abs() < 12.0 => group.push(t),
                _ => groups.push(vec![t]),
            }
        }
        let labels: Vec<(f64, String)> = groups
            .iter()
            .map(|group| {
                let text: Vec<String> = group.iter().map(|&t| format_tick(t)).collect();
                (px(group[group.len() - 1]), text.join(", "))
            })
            .collect();
        let crowded = labels
            .windows(2)
            .any(|w| (w[1].0 - w[0].0).abs() < 7.0 * w[1].1.chars().count() as f64 + 6.0);
        // Turned labels take room below the axis.
        let longest = labels
            .iter()
            .map(|(_, t)| t.chars().count())
            .max()
            .unwrap_or(0);
        let bottom = if crowded {
            BOTTOM.max(44.0 + 5.2 * longest as f64)
        } else {
            BOTTOM
        };
        let plot_h = HEIGHT - TOP - bottom;
        let py = |y: f64| TOP + (1.0 - (y - y_lo) / (y_hi - y_lo)) * plot_h;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(
            svg,
            r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#,
            LEFT + plot_w / 2.0,
            escape(&self.title)
        );
        // Grid and ticks.
        for &t in &x_ticks {
            let x = px(t);
            let _ = writeln!(
                svg,
                "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#e0e0e0\"/>",
                TOP + plot_h,
            );
        }
        for (x, text) in &labels {
            let label_y = TOP + plot_h + 16.0;
            let _ = if crowded {
                writeln!(
                    svg,
                    "<text x=\"{x:.1}\" y=\"{label_y:.1}\" text-anchor=\"end\" transform=\"rotate(-50 {x:.1} {label_y:.1})\">{text}</text>"
                )
            } else {
                writeln!(
                    svg,
                    "<text x=\"{x:.1}\" y=\"{label_y:.1}\" text-anchor=\"middle\">{text}</text>"
                )
            };
        }
        for t in linear_ticks(y_lo, y_hi) {
            let y = py(t);
            let _ = writeln!(
                svg,
                "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#e0e0e0\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                LEFT + plot_w,
                LEFT - 6.0,
                y + 4.0,
                format_tick(t)
            );
        }
        let _ = writeln!(
            svg,
            r#"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="black"/>"#
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + plot_w / 2.0,
            HEIGHT - 15.0,
            escape(&self.x_label)
        );
        let _ = writeln!(
            svg,
            r#"<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
            TOP + plot_h / 2.0,
            escape(&self.y_label)
        );
        let _ = writeln!(
            svg,
            r#"<clipPath id="plot-area"><rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}"/></clipPath>"#
        );
        let pixels: Vec<Vec<(f64, f64)>> = self
            .series
            .iter()
            .map(|series| {
                series
                    .points
                    .iter()
                    .filter(|(x, y)| self.usable_x(*x) && y.is_finite())
                    .map(|&(x, y)| (px(x), py(y)))
                    .collect()
            })
            .collect();
        // A series drawn over an earlier one (every point within 2 px) is
        // dashed so that the earlier one shows through.
        let dashed: Vec<bool> = (0..self.series.len())
            .map(|k| {
                self.series[k].dashed
                    || (0..k).any(|j| {
                        !pixels[k].is_empty()
                            && pixels[j].len() == pixels[k].len()
                            && pixels[j]
                                .iter()
                                .zip(&pixels[k])
                                .all(|(a, b)| (a.0 - b.0).abs() < 2.0 && (a.1 - b.1).abs() < 2.0)
                    })
            })
            .collect();
        let colors: Vec<String> = self
            .series
            .iter()
            .enumerate()
            .map(|(k, s)| {
                s.color
                    .clone()
                    .unwrap_or_else(|| PALETTE[k % PALETTE.len()].to_string())
            })
            .collect();
        for (k, series) in self.series.iter().enumerate() {
            let color = &colors[k];
            if let Some(band) = &series.band {
                let usable: Vec<_> = band
                    .iter()
                    .filter(|(x, lo, hi)| self.usable_x(*x) && lo.is_finite() && hi.is_finite())
                    .collect();
                if !usable.is_empty() {
                    let mut path = String::new();
                    for (x, _, hi) in &usable {
                        let _ = write!(path, "{:.1},{:.1} ", px(*x), py(*hi));
                    }
                    for (x, lo, _) in usable.iter().rev() {
                        let _ = write!(path, "{:.1},{:.1} ", px(*x), py(*lo));
                    }
                    let _ = writeln!(
                        svg,
                        r#"<polygon points="{}" fill="{color}" fill-opacity="0.18" stroke="none" clip-path="url(#plot-area)"/>"#,
                        path.trim_end()
                    );
                }
            }
            for &(x, lo, hi) in series.error_bars.iter().flatten() {
                if !(self.usable_x(x) && lo.is_finite() && hi.is_finite()) {
                    continue;
                }
                let (x, top, bottom) = (px(x), py(hi), py(lo));
                let _ = writeln!(
                    svg,
                    r#"<path d="M{:.1},{top:.1}H{:.1}M{x:.1},{top:.1}V{bottom:.1}M{:.1},{bottom:.1}H{:.1}" stroke="{color}" stroke-width="1.2" fill="none" clip-path="url(#plot-area)"/>"#,
                    x - 3.0,
                    x + 3.0,
                    x - 3.0,
                    x + 3.0
                );
            }
            let dash = if dashed[k] {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            };
            let polyline: Vec<String> = pixels[k]
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            let _ = writeln!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"{dash} clip-path="url(#plot-area)"/>"#,
                polyline.join(" ")
            );
            if series.markers && !dashed[k] {
                for (x, y) in &pixels[k] {
                    let _ = writeln!(
                        svg,
                        r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{color}" clip-path="url(#plot-area)"/>"#
                    );
                }
            }
        }
        // The legend, inside the axes, in the corner that covers the
        // fewest drawn points.
        let longest = self
            .series
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(0) as f64;
        let (box_w, box_h) = (40.0 + 6.6 * longest, 8.0 + 18.0 * self.series.len() as f64);
        let corners = [
            (LEFT + plot_w - box_w - 8.0, TOP + plot_h - box_h - 8.0),
            (LEFT + 8.0, TOP + 8.0),
            (LEFT + plot_w - box_w - 8.0, TOP + 8.0),
            (LEFT + 8.0, TOP + plot_h - box_h - 8.0),
        ];
        let covered = |&(x0, y0): &(f64, f64)| {
            pixels
                .iter()
                .flatten()
                .filter(|(x, y)| *x >= x0 && *x <= x0 + box_w && *y >= y0 && *y <= y0 + box_h)
                .count()
        };
        let (box_x, box_y) = corners
            .iter()
            .copied()
            .min_by_key(|c| covered(c))
            .unwrap_or(corners[0]);
        if !self.series.is_empty() {
            let _ = writeln!(
                svg,
                r##"<rect x="{box_x:.1}" y="{box_y:.1}" width="{box_w:.1}" height="{box_h:.1}" fill="white" fill-opacity="0.85" stroke="#bbbbbb"/>"##
            );
        }
        for (k, series) in self.series.iter().enumerate() {
            let dash = if dashed[k] {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            };
            let legend_y = box_y + 13.0 + 18.0 * k as f64;
            let legend_x = box_x + 8.0;
            let _ = writeln!(
                svg,
                r#"<line x1="{legend_x:.1}" y1="{legend_y:.1}" x2="{:.1}" y2="{legend_y:.1}" stroke="{}" stroke-width="2"{dash}/>
<text x="{:.1}" y="{:.1}">{}</text>"#,
                legend_x + 24.0,
                colors[k],
                legend_x + 30.0,
                legend_y + 4.0,
                escape(&series.name)
            );
        }
        svg.push_str("</svg>\n");
        svg
    }

    /// The figure as a PNG image `scale` times the SVG's size
    /// (`640·scale × 450·scale` pixels), rasterised by `resvg` (pure Rust);
    /// text is set in the system's sans-serif fonts (DejaVu Sans when
    /// installed; without fonts the text is left out).
    pub fn to_png(&self, scale: f32) -> Result<Vec<u8>> {
        use resvg::{tiny_skia, usvg};
        let failed = |reason: String| Error::InvalidField {
            field: "plot".into(),
            reason,
        };
        let mut options = usvg::Options::default();
        let fonts = options.fontdb_mut();
        fonts.load_system_fonts();
        let sans = fonts
            .faces()
            .flat_map(|face| face.families.iter().map(|(name, _)| name.clone()))
            .filter(|name| name.contains("Sans") && !name.contains("Mono"))
            .min_by_key(|name| (name != "DejaVu Sans", name.len()));
        if let Some(sans) = sans {
            fonts.set_sans_serif_family(sans);
        }
        let tree = usvg::Tree::from_str(&self.to_svg(), &options)
            .map_err(|e| failed(format!("the SVG does not parse: {e}")))?;
        let size = tree
            .size()
            .to_int_size()
            .scale_by(scale)
            .ok_or_else(|| failed(format!("scale {scale} gives an empty image")))?;
        let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| {
            failed(format!(
                "{}×{} pixels cannot be allocated",
                size.width(),
                size.height()
            ))
        })?;
        resvg::render(
            &tree,
            tiny_skia::Transform::from_scale(scale, scale),
            &mut pixmap.as_mut(),
        );
        pixmap
            .encode_png()
            .map_err(|e| failed(format!("PNG encoding failed: {e}")))
    }

    /// Writes the figure to `path`: SVG, or, when `path` ends in `.png`, a
    /// PNG at twice the SVG's size and the SVG beside it (same name,
    /// `.svg`).
    pub fn save(&self, path: &Path) -> Result<()> {
        if is_png(path) {
            cliptheory::files::write_atomically(
                &path.with_extension("svg"),
                self.to_svg().as_bytes(),
            )?;
            cliptheory::files::write_atomically(path, &self.to_png(PNG_SCALE)?)
        } else {
            cliptheory::files::write_atomically(path, self.to_svg().as_bytes())
        }
    }
}

/// Pixels per SVG unit of a saved PNG.
pub const PNG_SCALE: f32 = 2.0;

/// Whether `path` asks for a PNG (ends in `.png`, any case).
pub fn is_png(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
}

impl Figure {
    /// The files [`Figure::save`] writes for `path`.
    pub fn outputs(path: &Path) -> Vec<std::path::PathBuf> {
        if is_png(path) {
            vec![path.to_path_buf(), path.with_extension("svg")]
        } else {
            vec![path.to_path_buf()]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_cover_the_range() {
        let ticks = linear_ticks(0.0, 1.0);
        assert_eq!(ticks.len(), 6);
        assert!(ticks
            .iter()
            .zip([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
            .all(|(a, b)| (a - b).abs() < 1e-12));
        assert_eq!(log_ticks(1.0, 1000.0), vec![1.0, 10.0, 100.0, 1000.0]);
        assert_eq!(log_ticks(1.0, 10.0), vec![1.0, 2.0, 5.0, 10.0]);
    }

    /// The figure a paper would print: its title, axis labels, every
    /// requested `x` tick, error bars, the legend inside the axes, a `y`
    /// range from the data; a curve hidden under an earlier one is dashed.
    #[test]
    fn svg_carries_labels_ticks_bars_and_inside_legend() {
        let figure = Figure::new("Checkpoint 3", "batch size b", "mean cos")
            .log_x()
            .x_ticks(vec![1.0, 2.0, 4.0, 568.0, 569.0])
            .with_series(
                Series::line(
                    "mean",
                    vec![(1.0, 0.2), (2.0, 0.3), (4.0, 0.5), (569.0, 0.9)],
                )
                .with_error_bars(vec![(2.0, 0.25, 0.35)]),
            )
            .with_series(Series::line(
                "same",
                vec![(1.0, 0.2), (2.0, 0.3), (4.0, 0.5), (569.0, 0.9)],
            ));
        let svg = figure.to_svg();
        for text in [
            "Checkpoint 3",
            "batch size b",
            "mean cos",
            ">1<",
            ">2<",
            ">4<",
            ">568, 569<",
        ] {
            assert!(svg.contains(text), "missing {text}");
        }
        // the whisker of the one error bar
        assert_eq!(svg.matches("<path d=\"M").count(), 1);
        // the second series coincides with the first: dashed, no markers
        assert_eq!(svg.matches("stroke-dasharray").count(), 2, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 4);
        // legend box inside the plot area
        let legend = svg
            .lines()
            .find(|l| l.contains("fill-opacity=\"0.85\""))
            .expect("legend box");
        let x: f64 = legend
            .split("x=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(x > LEFT && x < WIDTH - RIGHT, "{legend}");
        // y range from the data: no tick at −1
        assert!(!svg.contains(">-1<"));
    }

    /// `.png`: a valid PNG (signature, IHDR) of twice the SVG's size.
    #[test]
    fn png_is_a_png_of_the_requested_size() {
        let png = Figure::new("t", "x", "y")
            .with_series(Series::line("s", vec![(1.0, 1.0), (2.0, 3.0)]))
            .to_png(1.5)
            .expect("renders");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
        let height = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
        assert_eq!((width, height), (960, 675));
        assert!(is_png(Path::new("a/b.PNG")) && !is_png(Path::new("b.svg")));
    }

    #[test]
    fn escapes_text_and_skips_unplottable_points() {
        let svg = Figure::new("a < b & c", "x", "y")
            .log_x()
            .with_series(Series::line(
                "s",
                vec![(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0)],
            ))
            .to_svg();
        assert!(svg.contains("a &lt; b &amp; c"));
        assert!(!svg.contains("NaN"));
    }
}
