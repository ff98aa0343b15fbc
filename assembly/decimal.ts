/**
 * DICOM decimal strings (DS, IS) to numbers, for src/io/dicom/read/decode.ts decodeNumbers: a value's
 * text (values separated by '\') in, per value a status and a number out. Why here: a structure set
 * holds 10^5 - 10^6 of them, and V8 runs the JavaScript loop unoptimised for most of a fresh process's
 * structure set (40-50 ms of a 0.6 s `lattice evaluate` on the test machine); WebAssembly is compiled
 * before it runs.
 *
 * The plain form only (spaces around, a sign, digits, '.', an exponent) whose digits fit a double
 * exactly (mantissa < 2^53) and whose decimal exponent is within +-22: then m * 10^e (or m / 10^-e) is
 * one correctly rounded operation on exact operands, the same double as JavaScript's Number() of the
 * text (Clinger's fast path). Any other value is marked NOT_PLAIN and read by decode.ts as dcmjs would.
 * No static data (the caller lays out all of the memory): the powers of ten are constants in code.
 */

// statuses, as decode.ts reads them
const PLAIN: u8 = 0;
const BLANK: u8 = 1;
const NOT_PLAIN: u8 = 2;
const MAX_EXACT: f64 = 9007199254740992; // 2^53

let parsed: f64 = 0;
let nonPlain: i32 = 0;

/** 10^e, 0 <= e <= 22: exact doubles. */
function pow10(e: i32): f64 {
  switch (e) {
    case 0: return 1e0;
    case 1: return 1e1;
    case 2: return 1e2;
    case 3: return 1e3;
    case 4: return 1e4;
    case 5: return 1e5;
    case 6: return 1e6;
    case 7: return 1e7;
    case 8: return 1e8;
    case 9: return 1e9;
    case 10: return 1e10;
    case 11: return 1e11;
    case 12: return 1e12;
    case 13: return 1e13;
    case 14: return 1e14;
    case 15: return 1e15;
    case 16: return 1e16;
    case 17: return 1e17;
    case 18: return 1e18;
    case 19: return 1e19;
    case 20: return 1e20;
    case 21: return 1e21;
    default: return 1e22;
  }
}

@inline function byteAt(p: usize): i32 {
  return <i32>load<u8>(p);
}

/** The text at [p, q): PLAIN (its number in parsed), BLANK or NOT_PLAIN. */
function plain(p: usize, q: usize): u8 {
  while (p < q && byteAt(p) == 0x20) p++;
  while (q > p && byteAt(q - 1) == 0x20) q--;
  if (p == q) return BLANK;
  let negative = false;
  let c = byteAt(p);
  if (c == 0x2d || c == 0x2b) {
    negative = c == 0x2d;
    p++;
  }
  let mantissa: f64 = 0;
  let digits = 0;
  let exponent = 0;
  for (; p < q; p++) {
    c = byteAt(p) - 0x30;
    if (c < 0 || c > 9) break;
    mantissa = mantissa * 10 + <f64>c;
    digits++;
  }
  if (p < q && byteAt(p) == 0x2e) {
    for (p++; p < q; p++) {
      c = byteAt(p) - 0x30;
      if (c < 0 || c > 9) break;
      mantissa = mantissa * 10 + <f64>c;
      digits++;
      exponent--;
    }
  }
  if (digits == 0 || mantissa >= MAX_EXACT) return NOT_PLAIN;
  if (p < q && (byteAt(p) == 0x65 || byteAt(p) == 0x45)) {
    p++;
    let expNegative = false;
    if (p < q && (byteAt(p) == 0x2d || byteAt(p) == 0x2b)) {
      expNegative = byteAt(p) == 0x2d;
      p++;
    }
    let e = 0;
    let expDigits = 0;
    for (; p < q; p++) {
      c = byteAt(p) - 0x30;
      if (c < 0 || c > 9 || e > 1000) break;
      e = e * 10 + c;
      expDigits++;
    }
    if (expDigits == 0) return NOT_PLAIN;
    exponent += expNegative ? -e : e;
  }
  if (p != q || exponent < -22 || exponent > 22) return NOT_PLAIN;
  const magnitude = exponent < 0 ? mantissa / pow10(-exponent) : mantissa * pow10(exponent);
  parsed = negative ? -magnitude : magnitude;
  return PLAIN;
}

/**
 * The values of the text at src (len bytes), split at '\': per value its status (u8 at status + n),
 * when PLAIN its number (f64 at values + 8 n; 0 otherwise) and where its text starts (i32 at starts + 4 n,
 * from src). Returns the number of values (at least 1; room for len + 1 of them); nonPlainCount()
 * tells how many are not PLAIN.
 */
export function parseDecimals(src: usize, len: i32, values: usize, status: usize, starts: usize): i32 {
  const end = src + <usize>len;
  let n = 0;
  let p = src;
  nonPlain = 0;
  let more = true;
  while (more) {
    let q = p;
    while (q < end && load<u8>(q) != 0x5c) q++;
    const s = plain(p, q);
    store<i32>(starts + (<usize>n << 2), <i32>(p - src));
    store<f64>(values + (<usize>n << 3), s == PLAIN ? parsed : 0);
    store<u8>(status + <usize>n, s);
    if (s != PLAIN) nonPlain++;
    n++;
    more = q < end;
    p = q + 1;
  }
  return n;
}

/** How many values of the last parseDecimals are not PLAIN. */
export function nonPlainCount(): i32 {
  return nonPlain;
}
