//! The data-flow map: the inventory and its flows drawn as SVG text.
//!
//! The layout is layered by column: systems and applications, devices, vendor-hosted services,
//! then outside parties on the right. Each flow is an arrow from its source to its destination,
//! labelled with the data, the transport and whether it is encrypted; the line is solid green
//! when encrypted, dashed red when not and dotted amber when unknown, so unencrypted ePHI
//! is easy to spot. Every piece of text is XML-escaped here, because names and labels come from
//! users and the SVG is embedded in the page as markup. Only presentation attributes are used,
//! never `style` or scripts, so the page's content security policy holds.

use std::collections::HashMap;
use std::fmt::Write;

use super::{AssetCategory, AssetKind, Encryption};
use crate::ids::AssetId;

/// An asset as the map draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapAsset<'a> {
    /// Its id, which flows refer to.
    pub id: AssetId,
    /// Its name.
    pub name: &'a str,
    /// Its kind, which picks its column.
    pub kind: AssetKind,
}

/// One end of a flow as the map draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapEnd<'a> {
    /// An asset of the map.
    Asset(AssetId),
    /// An outside party, by name.
    Outside(&'a str),
}

/// A flow as the map draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapFlow<'a> {
    /// The source of the ePHI.
    pub from: MapEnd<'a>,
    /// The destination of the ePHI.
    pub to: MapEnd<'a>,
    /// The ePHI that flows, such as claims or lab orders.
    pub data: &'a str,
    /// The transport, such as SFTP, fax or e-mail.
    pub transport: &'a str,
    /// Whether it is encrypted on the way.
    pub encryption: Encryption,
}

const MARGIN: i64 = 20;
const BOX_WIDTH: i64 = 200;
const BOX_HEIGHT: i64 = 48;
const COLUMN_GAP: i64 = 160;
const ROW_PITCH: i64 = 76;
const TOP: i64 = 56;
const NAME_CHARS: usize = 28;
const LABEL_CHARS: usize = 44;
/// Label length that fits the gap between two columns at the 11-pixel label size.
const GAP_LABEL_CHARS: usize = 24;

/// Where a node sits: its column and the top-left corner of its box.
#[derive(Debug, Clone, Copy)]
struct Node {
    column: i64,
    x: i64,
    y: i64,
}

/// Renders the map of `assets` and `flows` as a standalone `<svg>` element.
///
/// Flows whose asset end is not among `assets`, such as flows of a retired asset, are left
/// out. Outside parties are the distinct names the flows use, in alphabetical order.
pub fn render_flow_map(assets: &[MapAsset<'_>], flows: &[MapFlow<'_>]) -> String {
    let mut nodes: HashMap<AssetId, Node> = HashMap::new();
    let mut rows_per_column = [0_i64; 4];
    let mut sorted: Vec<&MapAsset<'_>> = assets.iter().collect();
    sorted.sort_by_key(|asset| (asset.kind.category(), asset.name.to_lowercase()));

    for asset in &sorted {
        let column = match asset.kind.category() {
            AssetCategory::System => 0,
            AssetCategory::Device => 1,
            AssetCategory::Service => 2,
        };
        nodes.insert(asset.id, place(column, &mut rows_per_column));
    }

    let drawn: Vec<&MapFlow<'_>> = flows
        .iter()
        .filter(|flow| {
            [flow.from, flow.to]
                .iter()
                .all(|end| matches!(end, MapEnd::Outside(_)) || matches!(end, MapEnd::Asset(id) if nodes.contains_key(id)))
        })
        .collect();
    let mut parties: Vec<&str> = drawn
        .iter()
        .flat_map(|flow| [flow.from, flow.to])
        .filter_map(|end| match end {
            MapEnd::Outside(name) => Some(name),
            MapEnd::Asset(_) => None,
        })
        .collect();
    parties.sort_by_key(|name| name.to_lowercase());
    parties.dedup();
    let mut party_nodes: HashMap<&str, Node> = HashMap::new();
    for party in &parties {
        party_nodes.insert(party, place(3, &mut rows_per_column));
    }

    let width = MARGIN * 2 + BOX_WIDTH * 4 + COLUMN_GAP * 3;
    let rows = rows_per_column.iter().copied().max().unwrap_or(0).max(1);
    let height = TOP + rows * ROW_PITCH + 40;
    let mut svg = String::new();

    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-labelledby="flow-map-title" font-family="system-ui, sans-serif" font-size="12">"##
    );
    svg.push_str(r##"<title id="flow-map-title">Data-flow map of the ePHI inventory</title>"##);
    svg.push_str(r##"<defs><marker id="flow-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5b6472"/></marker></defs>"##);
    svg.push_str(r##"<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>"##);

    for (column, heading) in ["Systems and applications", "Devices", "Vendor-hosted services", "Outside parties"]
        .iter()
        .enumerate()
    {
        let x = column_x(column as i64);
        let _ = write!(svg, r##"<text x="{x}" y="30" font-weight="bold" fill="#1d2430">{heading}</text>"##);
    }

    if nodes.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="{MARGIN}" y="{}" fill="#5b6472">The inventory has no assets in service yet.</text>"##,
            TOP + 20
        );
    }

    draw_flows(&mut svg, &drawn, &nodes, &party_nodes);

    for asset in &sorted {
        if let Some(node) = nodes.get(&asset.id) {
            draw_box(&mut svg, *node, asset.name, asset.kind.label(), "#eef3fa", "#1f5fa8");
        }
    }
    for party in &parties {
        if let Some(node) = party_nodes.get(party) {
            draw_box(&mut svg, *node, party, "Outside party", "#f6f1fb", "#6b4aa0");
        }
    }

    draw_legend(&mut svg, height - 16);
    svg.push_str("</svg>");
    svg
}

fn column_x(column: i64) -> i64 {
    MARGIN + column * (BOX_WIDTH + COLUMN_GAP)
}

fn place(column: usize, rows_per_column: &mut [i64; 4]) -> Node {
    let row = rows_per_column[column];
    rows_per_column[column] += 1;
    Node {
        column: column as i64,
        x: column_x(column as i64),
        y: TOP + row * ROW_PITCH,
    }
}

fn draw_box(svg: &mut String, node: Node, name: &str, caption: &str, fill: &str, stroke: &str) {
    let _ = write!(
        svg,
        r##"<g><title>{}</title><rect x="{}" y="{}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="4" fill="{fill}" stroke="{stroke}"/><text x="{}" y="{}" font-weight="bold" fill="#1d2430">{}</text><text x="{}" y="{}" fill="#5b6472">{}</text></g>"##,
        escape(&format!("{name} ({caption})")),
        node.x,
        node.y,
        node.x + 8,
        node.y + 20,
        escape(&shorten(name, NAME_CHARS)),
        node.x + 8,
        node.y + 38,
        escape(caption),
    );
}

fn draw_flows(svg: &mut String, flows: &[&MapFlow<'_>], nodes: &HashMap<AssetId, Node>, parties: &HashMap<&str, Node>) {
    let find = |end: MapEnd<'_>| match end {
        MapEnd::Asset(id) => nodes.get(&id).copied(),
        MapEnd::Outside(name) => parties.get(name).copied(),
    };
    // Flows between the same two boxes share a line, so their labels are stacked instead.
    let mut labels_per_pair: HashMap<(i64, i64, i64, i64), i64> = HashMap::new();

    for (index, flow) in flows.iter().enumerate() {
        let (Some(from), Some(to)) = (find(flow.from), find(flow.to)) else {
            continue;
        };
        let (stroke, dashes) = match flow.encryption {
            Encryption::Encrypted => ("#1e7b3a", ""),
            Encryption::NotEncrypted => ("#b3261e", r#" stroke-dasharray="6 4""#),
            Encryption::Unknown => ("#9a6b00", r#" stroke-dasharray="2 4""#),
            Encryption::NotApplicable => ("#5b6472", r#" stroke-dasharray="1 3""#),
        };
        let from_y = from.y + BOX_HEIGHT / 2;
        let to_y = to.y + BOX_HEIGHT / 2;

        // Each flow gets its own lane in the gaps between columns, so parallel vertical
        // segments stay apart.
        let lane = 14 + (index as i64 % 8) * 12;
        let (path, label_x, label_y, label_chars) = if from.column == to.column {
            // Boxes in one column are joined by a loop out to the right, clear of the boxes.
            let x = from.x + BOX_WIDTH;
            let bulge = x + lane + 40;
            (
                format!("M{x},{from_y} C{bulge},{from_y} {bulge},{to_y} {x},{to_y}"),
                x + COLUMN_GAP / 2,
                (from_y + to_y) / 2,
                GAP_LABEL_CHARS,
            )
        } else if (from.column - to.column).abs() == 1 {
            let (start_x, end_x) = if from.column < to.column {
                (from.x + BOX_WIDTH, to.x)
            } else {
                (from.x, to.x + BOX_WIDTH)
            };
            (
                format!("M{start_x},{from_y} L{end_x},{to_y}"),
                (start_x + end_x) / 2,
                (from_y + to_y) / 2 - 4,
                GAP_LABEL_CHARS,
            )
        } else {
            // A straight line would cross the boxes of the columns in between, so the flow
            // leaves through the gap next to its source, runs along the free band below the
            // source's row, and enters through the gap next to its destination.
            let band_y = from.y + BOX_HEIGHT + (ROW_PITCH - BOX_HEIGHT) / 2;
            let (start_x, source_lane, target_lane, end_x) = if from.column < to.column {
                (from.x + BOX_WIDTH, from.x + BOX_WIDTH + lane, to.x - lane, to.x)
            } else {
                (from.x, from.x - lane, to.x + BOX_WIDTH + lane, to.x + BOX_WIDTH)
            };
            (
                format!("M{start_x},{from_y} H{source_lane} V{band_y} H{target_lane} V{to_y} H{end_x}"),
                (source_lane + target_lane) / 2,
                band_y - 3,
                LABEL_CHARS,
            )
        };
        let pair = (from.x.min(to.x), from.y.min(to.y), from.x.max(to.x), from.y.max(to.y));
        let stacked = labels_per_pair.entry(pair).or_insert(0);
        let label_y = label_y + *stacked * 14;
        *stacked += 1;

        let label = format!("{} · {} · {}", flow.data, flow.transport, flow.encryption.label());
        let _ = write!(
            svg,
            r##"<g><title>{}</title><path d="{path}" fill="none" stroke="{stroke}" stroke-width="2"{dashes} marker-end="url(#flow-arrow)"/><text x="{label_x}" y="{label_y}" text-anchor="middle" fill="{stroke}" font-size="11">{}</text></g>"##,
            escape(&label),
            escape(&shorten(&label, label_chars)),
        );
    }
}

fn draw_legend(svg: &mut String, y: i64) {
    let entries = [
        ("#1e7b3a", "", "Encrypted in transit"),
        ("#b3261e", r#" stroke-dasharray="6 4""#, "Not encrypted"),
        ("#9a6b00", r#" stroke-dasharray="2 4""#, "Encryption unknown"),
    ];
    for (index, (stroke, dashes, text)) in entries.iter().enumerate() {
        let x = MARGIN + index as i64 * 220;
        let _ = write!(
            svg,
            r##"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{stroke}" stroke-width="2"{dashes}/><text x="{}" y="{}" fill="#1d2430">{text}</text>"##,
            x + 40,
            x + 48,
            y + 4
        );
    }
}

/// Cuts `text` to `max` characters, ending with an ellipsis when it was longer.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// Escapes text for XML character data and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(character),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(name: &str, kind: AssetKind) -> MapAsset<'_> {
        MapAsset {
            id: AssetId::new(),
            name,
            kind,
        }
    }

    #[test]
    fn map_escapes_every_label() {
        let ehr = asset("<script>alert(1)</script>", AssetKind::Ehr);
        let flow = MapFlow {
            from: MapEnd::Asset(ehr.id),
            to: MapEnd::Outside("Labs & \"Co\""),
            data: "Results <b>",
            transport: "HL7's feed",
            encryption: Encryption::NotEncrypted,
        };

        let svg = render_flow_map(&[ehr], &[flow]);

        assert!(!svg.contains("<script>"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("Labs &amp; &quot;Co&quot;"));
        assert!(svg.contains("HL7&#39;s feed"));
    }

    #[test]
    fn map_places_columns_and_outside_parties() {
        let ehr = asset("EHR", AssetKind::Ehr);
        let laptop = asset("Laptop 1", AssetKind::Laptop);
        let flows = [
            MapFlow {
                from: MapEnd::Asset(laptop.id),
                to: MapEnd::Asset(ehr.id),
                data: "Notes",
                transport: "HTTPS",
                encryption: Encryption::Encrypted,
            },
            MapFlow {
                from: MapEnd::Asset(ehr.id),
                to: MapEnd::Outside("Clearinghouse"),
                data: "Claims",
                transport: "SFTP",
                encryption: Encryption::Unknown,
            },
        ];

        let svg = render_flow_map(&[ehr, laptop], &flows);

        assert!(svg.starts_with("<svg"));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(&format!(r#"<rect x="{}" y="{TOP}""#, column_x(1))));
        assert!(svg.contains(&format!(r#"<rect x="{}" y="{TOP}""#, column_x(3))));
        assert_eq!(svg.matches("marker-end=").count(), 2);
        assert!(svg.contains("Claims · SFTP · Unknown"));
        assert!(!svg.contains("style="));
    }

    #[test]
    fn map_skips_flows_of_missing_assets() {
        let ehr = asset("EHR", AssetKind::Ehr);
        let flow = MapFlow {
            from: MapEnd::Asset(AssetId::new()),
            to: MapEnd::Asset(ehr.id),
            data: "Old",
            transport: "USB",
            encryption: Encryption::NotEncrypted,
        };

        let svg = render_flow_map(&[ehr], &[flow]);

        assert_eq!(svg.matches("marker-end=").count(), 0);
    }

    #[test]
    fn map_of_empty_inventory_says_so() {
        assert!(render_flow_map(&[], &[]).contains("no assets in service"));
    }

    #[test]
    fn long_names_are_shortened() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
    }
}
