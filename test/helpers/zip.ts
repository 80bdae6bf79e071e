// Zips as a hostile sender makes them: built with fflate, then with an entry's declared
// (inflated) size rewritten in both its directory record and its local header, so the
// reader sees a size that differs from what the data inflates to.

/** Offsets of each entry's directory record and local header, by name. */
export function zipRecords(zip: Uint8Array): Map<string, { central: number; local: number }> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let end = zip.length - 22;
  while (end >= 0 && view.getUint32(end, true) !== 0x06054b50) end--;
  if (end < 0) throw new Error('not a zip');
  const out = new Map<string, { central: number; local: number }>();
  let at = view.getUint32(end + 16, true);
  for (let i = 0; i < view.getUint16(end + 10, true); i++) {
    const n = view.getUint16(at + 28, true);
    out.set(new TextDecoder().decode(zip.subarray(at + 46, at + 46 + n)), { central: at, local: view.getUint32(at + 42, true) });
    at += 46 + n + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return out;
}

/** A copy of the zip whose entry `name` declares `size` inflated bytes. */
export function declareSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const out = zip.slice();
  const r = zipRecords(out).get(name);
  if (!r) throw new Error(`no entry ${name}`);
  const view = new DataView(out.buffer);
  view.setUint32(r.central + 24, size, true);
  view.setUint32(r.local + 22, size, true);
  return out;
}
