/**
 * Marching squares: the line segments where a field sampled on a w x h raster (x fastest) crosses
 * `level`, linearly interpolated along cell edges. Coordinates are in raster units with sample
 * (x, y) at (x, y). Returns x1, y1, x2, y2 per segment. Saddle cells are split by the cell mean.
 * Reference: W. E. Lorensen and H. E. Cline, marching cubes (SIGGRAPH 1987), in two dimensions.
 */
export function isolines(field: ArrayLike<number>, w: number, h: number, level: number, out: number[] = []): number[] {
  const lerp = (a: number, b: number): number => {
    const d = b - a;
    return d === 0 ? 0.5 : (level - a) / d;
  };
  for (let y = 0; y + 1 < h; y++) {
    for (let x = 0; x + 1 < w; x++) {
      const v0 = field[x + w * y]!; // top-left
      const v1 = field[x + 1 + w * y]!; // top-right
      const v2 = field[x + 1 + w * (y + 1)]!; // bottom-right
      const v3 = field[x + w * (y + 1)]!; // bottom-left
      const c = (v0 >= level ? 1 : 0) | (v1 >= level ? 2 : 0) | (v2 >= level ? 4 : 0) | (v3 >= level ? 8 : 0);
      if (c === 0 || c === 15) continue;
      // edge points: top (0-1), right (1-2), bottom (3-2), left (0-3)
      const tx = x + lerp(v0, v1), ty = y;
      const rx = x + 1, ry = y + lerp(v1, v2);
      const bx = x + lerp(v3, v2), by = y + 1;
      const lx = x, ly = y + lerp(v0, v3);
      const seg = (ax: number, ay: number, cx: number, cy: number): void => {
        out.push(ax, ay, cx, cy);
      };
      switch (c) {
        case 1: case 14: seg(lx, ly, tx, ty); break;
        case 2: case 13: seg(tx, ty, rx, ry); break;
        case 3: case 12: seg(lx, ly, rx, ry); break;
        case 4: case 11: seg(rx, ry, bx, by); break;
        case 6: case 9: seg(tx, ty, bx, by); break;
        case 7: case 8: seg(lx, ly, bx, by); break;
        case 5: case 10: {
          const mid = (v0 + v1 + v2 + v3) / 4 >= level;
          if ((c === 5) === mid) {
            seg(lx, ly, bx, by);
            seg(tx, ty, rx, ry);
          } else {
            seg(lx, ly, tx, ty);
            seg(rx, ry, bx, by);
          }
          break;
        }
      }
    }
  }
  return out;
}
