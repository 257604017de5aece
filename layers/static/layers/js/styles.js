// Symbolisers of the vector-tile and GeoJSON layers; colours come from the server's config (shared with the legend).

/** Widths grow with zoom so lines keep their weight relative to the streets around them. */
function byZoom(zoom, base) {
  if (zoom <= 12) return base * 0.6;
  if (zoom <= 14) return base;
  if (zoom <= 16) return base * 1.6;
  return base * 2.4;
}

function truthy(value) {
  return value === true || value === "true" || value === 1 || value === "t";
}

export function makeStyles(colours) {
  const road = (props, zoom) => {
    const cls = props.road_class;
    // Zoomed out, local roads would hatch the whole district grey: show the network's main lines only.
    if (zoom < 14 && cls === "local") return [];
    if (zoom < 13 && cls === "secondary") return [];
    const base = cls === "arterial" ? 3.2 : cls === "secondary" ? 2.2 : 1.2;
    return {
      stroke: true,
      fill: false,
      color: colours.road[cls] || colours.road.local,
      weight: byZoom(zoom, base),
      opacity: 1,
      lineCap: "round",
      lineJoin: "round",
    };
  };

  // A feature without its state attribute lies outside the user's jurisdiction (docs/SECURITY.md "Read scope"):
  // drawn as a plain outline for orientation, never coloured as if its state were known.
  const outline = (zoom) => ({
    fill: true, fillColor: "#FFFFFF", fillOpacity: 0.05, stroke: zoom > 12, color: "#8A8A8A", weight: 1,
    opacity: 0.8, dashArray: "2 3",
  });

  const estate = (props, zoom) => {
    if (props.status === undefined || props.status === null) return outline(zoom);
    const colour = colours.status[props.status] || "#8A8A8A";
    const old = truthy(props.old);
    return {
      fill: true,
      fillColor: colour,
      fillOpacity: old ? 0.6 : 0.2,
      // At district scale outlines would only add noise to the mosaic of colours.
      stroke: zoom > 12,
      color: colour,
      weight: old ? 1.6 : 1,
      opacity: old ? 1 : 0.75,
    };
  };

  const building = (props, zoom) => {
    if (props.abandonment === undefined || props.abandonment === null) return outline(zoom);
    switch (props.abandonment) {
      case "reported":
        return { fill: true, fillColor: "url(#hatch-reported)", fillOpacity: 1,
          color: colours.abandonment.reported, weight: 2, opacity: 1, dashArray: "4 2" };
      case "verified":
        return { fill: true, fillColor: "url(#hatch-verified)", fillOpacity: 1,
          color: colours.abandonment.verified, weight: 2.5, opacity: 1 };
      case "under_caretaker":
        return { fill: true, fillColor: colours.abandonment.under_caretaker, fillOpacity: 0.9,
          color: "#A86F00", weight: 1.5, opacity: 1 };
      case "resolved":
        return { fill: true, fillColor: colours.abandonment.resolved, fillOpacity: 0.35,
          color: "#B5B5B5", weight: 0.8, opacity: 0.6 };
      default:
        return { fill: true, fillColor: colours.abandonment.none, fillOpacity: 0.75,
          color: "#6E6E6E", weight: 0.8, opacity: 1 };
    }
  };

  const managementArea = () => ({
    fill: false, color: "#37474F", weight: 2.2, opacity: 0.95, dashArray: "7 4",
  });

  const jurisdiction = (props) => {
    const index = Number.parseInt(props.colour, 10);
    const colour = colours.enterprise[(Number.isFinite(index) ? index : 0) % colours.enterprise.length];
    return { fill: true, fillColor: colour, fillOpacity: 0.2, color: colour, weight: 2.5, opacity: 0.95 };
  };

  const renovation = (props) => {
    const colour = colours.renovation[props.status] || "#6C7A89";
    return {
      fill: true, fillColor: colour, fillOpacity: 0.12, color: colour, weight: 3, opacity: 1,
      dashArray: props.status === "planned" ? "3 5" : props.status === "in_progress" ? "9 4" : null,
    };
  };

  // Complaints (DOMAIN.md "Supervision"): filled by status or by category (colours.complaintMode, switched in the
  // legend), closed ones pale; an overdue case larger, with a red ring.
  const complaint = (props, zoom) => {
    const overdue = truthy(props.overdue);
    const closed = props.status === "closed";
    const colour = colours.complaintMode === "category"
      ? (colours.complaintCategory || {})[props.category] || "#333333"
      : (colours.complaintStatus || {})[props.status] || "#8A8A8A";
    const base = zoom <= 12 ? 2.5 : zoom <= 14 ? 3.5 : 5;
    return {
      radius: overdue ? base + 2 : base,
      fill: true,
      fillColor: colour,
      fillOpacity: closed ? 0.35 : 0.85,
      stroke: true,
      color: overdue ? colours.complaintOverdue || "#b10026" : "#ffffff",
      weight: overdue ? 2.5 : 0.8,
      opacity: 1,
    };
  };

  const admin = {
    district: { fill: false, color: "#2B2B2B", weight: 4, opacity: 0.9, interactive: false },
    street: { fill: false, color: "#4A4A4A", weight: 2, opacity: 0.85, interactive: false },
    community: { fill: false, color: "#6B6B6B", weight: 1, opacity: 0.9, dashArray: "4 4", interactive: false },
  };

  /** The same symboliser with a dark outline, for the feature whose popup is open. */
  const highlighted = (style) => (props, zoom) => ({
    ...style(props, zoom), stroke: true, color: "#111111", weight: 3.5, opacity: 1, dashArray: null,
  });

  return {
    tiles: {
      roads: road,
      estates: estate,
      buildings: building,
      management_areas: managementArea,
      jurisdictions: jurisdiction,
      renovations: renovation,
      complaints: complaint,
    },
    admin,
    highlighted,
  };
}
