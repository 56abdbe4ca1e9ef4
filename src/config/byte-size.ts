// K, M and G count in 1024s, as log rotation settings conventionally do: "10MB" is 10 MiB.
const UNIT_BYTES: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
const BYTE_SIZE = /^(\d+(?:\.\d+)?)\s*(?:([KMG])(?:i?B)?|B)?$/i;

/** Bytes from "10MB", "512KB", "1.5GiB", "100B" or a plain number of bytes. */
export function parseByteSize(value: string | number): number {
  const bytes = typeof value === 'number' ? value : bytesOf(value);
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 1) {
    throw new Error(`invalid size ${JSON.stringify(value)}: expected e.g. "10MB", "512KB" or a number of bytes`);
  }
  return Math.floor(bytes);
}

function bytesOf(text: string): number | undefined {
  const match = BYTE_SIZE.exec(text.trim());
  if (!match) return undefined;
  const unit = match[2]?.toUpperCase();
  return Number(match[1]) * (unit === undefined ? 1 : UNIT_BYTES[unit]!);
}
