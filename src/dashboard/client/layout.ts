/** Placement of explored nodes (pure, deterministic: the same exploration draws the same picture). */
export interface Point {
  x: number;
  y: number;
}

/** n points on a circle of radius r around c, the first at angle `start` (radians). */
export function ring(c: Point, r: number, n: number, start = -Math.PI / 2): Point[] {
  return Array.from({ length: n }, (_, i) => ({ x: c.x + r * Math.cos(start + (2 * Math.PI * i) / Math.max(1, n)), y: c.y + r * Math.sin(start + (2 * Math.PI * i) / Math.max(1, n)) }));
}

/**
 * n points on an arc of `spread` radians around c, centred on the direction pointing away from
 * `from` (new neighbours of an expanded node fan out away from the rest of the picture).
 */
export function fan(c: Point, from: Point, r: number, n: number, spread = Math.PI * 1.2): Point[] {
  const dir = c.x === from.x && c.y === from.y ? -Math.PI / 2 : Math.atan2(c.y - from.y, c.x - from.x);
  if (n === 1) return [{ x: c.x + r * Math.cos(dir), y: c.y + r * Math.sin(dir) }];
  return Array.from({ length: n }, (_, i) => {
    const a = dir - spread / 2 + (spread * i) / (n - 1);
    return { x: c.x + r * Math.cos(a), y: c.y + r * Math.sin(a) };
  });
}

/** Points evenly along the segment a → b with a gentle wave, for a path. */
export function line(a: Point, b: Point, n: number, wave = 0.12): Point[] {
  return Array.from({ length: n }, (_, i) => {
    const t = n === 1 ? 0.5 : i / (n - 1);
    return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t + (i % 2 === 0 ? wave : -wave) * Math.sin(Math.PI * t) };
  });
}

/**
 * Push apart points closer than `min` (pinned ones stay), a few rounds in index order: labels of
 * expanded neighbourhoods stop overlapping without moving what the user already looked at much.
 */
export function separate(points: Point[], pinned: boolean[], min: number, rounds = 20): Point[] {
  const p = points.map((q) => ({ ...q }));
  for (let r = 0; r < rounds; r++) {
    let moved = false;
    for (let i = 0; i < p.length; i++)
      for (let j = i + 1; j < p.length; j++) {
        const dx = p[j].x - p[i].x;
        const dy = p[j].y - p[i].y;
        const d = Math.hypot(dx, dy);
        if (d >= min) continue;
        moved = true;
        // coincident points: a fixed direction from their indices
        const ux = d > 1e-9 ? dx / d : Math.cos(i + j);
        const uy = d > 1e-9 ? dy / d : Math.sin(i + j);
        const push = (min - d) / (pinned[i] || pinned[j] ? 1 : 2);
        if (!pinned[j]) {
          p[j].x += ux * push;
          p[j].y += uy * push;
        }
        if (!pinned[i]) {
          p[i].x -= ux * push;
          p[i].y -= uy * push;
        }
      }
    if (!moved) break;
  }
  return p;
}
