/**
 * The grants of a loaded inventory, in columns. At 100k identities an estate has about a million
 * grants; as objects, with three index lists pointing at each, they were the largest part of the
 * server's memory. Here a grant is a row: four 32-bit numbers (its principal, policy and resource
 * as indexes into one table of distinct strings, and its shared shape: provider, kind, evidence
 * and id template), and each index is one array of row numbers grouped by key (offsets + rows),
 * about 28 bytes a grant in all.
 *
 * Queries read grants as before: `grantsOf`, `grantsOfPolicy` and `grantsOn` hand out light row
 * views (`GrantRow`) that read the columns; they are short-lived and cheap to make. A row view
 * reads, compares and serializes like the grant it came from.
 */
import { compactGrant, plainGrant, spellId, type GrantShape } from "./compact-grant.js";
import type { Condition, Evidence, Grant, Provider } from "./inventory.js";

const NONE = -1;

/** Row numbers grouped by key (a value index): rows of key k are rows[offsets[k] .. offsets[k + 1]). */
class RowGroups {
  private constructor(
    private readonly offsets: Int32Array,
    private readonly rows: Int32Array,
  ) {}

  /** Groups rows by `keys[row]` (NONE and `skip`: in no group), keeping row order within a group. */
  static of(keys: Int32Array, length: number, keyCount: number, skip = NONE): RowGroups {
    const offsets = new Int32Array(keyCount + 1);
    let grouped = 0;
    for (let row = 0; row < length; row++) {
      const key = keys[row] as number;
      if (key === NONE || key === skip) continue;
      offsets[key + 1] = (offsets[key + 1] as number) + 1;
      grouped++;
    }
    for (let k = 0; k < keyCount; k++) offsets[k + 1] = (offsets[k + 1] as number) + (offsets[k] as number);
    const next = offsets.slice(0, keyCount);
    const rows = new Int32Array(grouped);
    for (let row = 0; row < length; row++) {
      const key = keys[row] as number;
      if (key === NONE || key === skip) continue;
      rows[(next[key] as number)++] = row;
    }
    return new RowGroups(offsets, rows);
  }

  count(key: number): number {
    return key === NONE || key + 1 >= this.offsets.length ? 0 : (this.offsets[key + 1] as number) - (this.offsets[key] as number);
  }

  /** Rows of `key` are rows[start(key) .. start(key + 1)): for loops that make no subarray. */
  start(key: number): number {
    return key === NONE || key + 1 >= this.offsets.length ? 0 : (this.offsets[key] as number);
  }

  end(key: number): number {
    return key === NONE || key + 1 >= this.offsets.length ? 0 : (this.offsets[key + 1] as number);
  }

  row(index: number): number {
    return this.rows[index] as number;
  }

  rowsOf(key: number): Int32Array {
    if (key === NONE || key + 1 >= this.offsets.length) return EMPTY_ROWS;
    return this.rows.subarray(this.offsets[key] as number, this.offsets[key + 1] as number);
  }
}

const EMPTY_ROWS = new Int32Array(0);

/**
 * Grants' own id texts (a GUID tail, or an id with no shape) by row: the rows that have one,
 * ascending, and their texts in the same order. A third of an estate's grants have one (every
 * Azure role assignment), yet they are read only when a grant id is spelled out (an export, a
 * path's grant, a diff), so a stored inventory hands them over unread (`texts` as a function
 * reading them on first use): a restart at 100k identities then makes 300k fewer strings.
 */
export class OwnIdTexts {
  private texts: readonly string[] | undefined;

  constructor(
    /** Rows with an own id text, strictly ascending. */
    readonly rows: Int32Array,
    private readonly read: readonly string[] | (() => readonly string[]),
  ) {
    if (Array.isArray(read)) this.texts = read;
  }

  static readonly EMPTY = new OwnIdTexts(EMPTY_ROWS, []);

  get size(): number {
    return this.rows.length;
  }

  /** The texts, in row order (read now if they were handed over unread). */
  all(): readonly string[] {
    if (this.texts === undefined) {
      const texts = (this.read as () => readonly string[])();
      if (texts.length !== this.rows.length) throw new Error(`own grant ids: ${texts.length} texts for ${this.rows.length} rows`);
      this.texts = texts;
    }
    return this.texts;
  }

  get(row: number): string | undefined {
    const rows = this.rows;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = rows[mid] as number;
      if (at === row) return this.all()[mid];
      if (at < row) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}

/** A grant table's columns (see GrantTable.columns): value indexes into `values`, -1 for none. */
export interface GrantColumns {
  values: string[];
  principal: Int32Array;
  policy: Int32Array;
  resource: Int32Array;
  shape: Int32Array;
  shapes: GrantShape[];
  own: OwnIdTexts;
  conditions: Map<number, Condition[]>;
}

export class GrantTable implements Iterable<Grant> {
  readonly length: number;
  private readonly values: string[] = [];
  private readonly valueIndex = new Map<string, number>();
  private readonly principal: Int32Array;
  private readonly policy: Int32Array;
  private readonly resource: Int32Array;
  private readonly shape: Int32Array;
  private readonly shapes: GrantShape[] = [];
  /** Grants' own id text (a GUID tail, or an id with no shape), by row. */
  private readonly own: OwnIdTexts;
  private readonly conditions: Map<number, Condition[]> = new Map<number, Condition[]>();
  private readonly byPrincipal: RowGroups;
  private readonly byPolicy: RowGroups;
  private readonly byResource: RowGroups;

  constructor(source: readonly Grant[] | GrantColumns) {
    if (!Array.isArray(source)) {
      const columns = source as GrantColumns;
      this.length = columns.principal.length;
      // The table takes the columns over (a decoder made them for it): nothing is copied.
      this.values = columns.values;
      for (let i = 0; i < this.values.length; i++) this.valueIndex.set(this.values[i] as string, i);
      this.principal = columns.principal;
      this.policy = columns.policy;
      this.resource = columns.resource;
      this.shape = columns.shape;
      this.shapes = columns.shapes;
      this.own = columns.own;
      this.conditions = columns.conditions;
      this.byPrincipal = RowGroups.of(this.principal, this.length, this.values.length);
      this.byPolicy = RowGroups.of(this.policy, this.length, this.values.length);
      this.byResource = RowGroups.of(this.resource, this.length, this.values.length, this.keyOf(""));
      return;
    }
    const grants = source as readonly Grant[];
    const length = grants.length;
    this.length = length;
    this.principal = new Int32Array(length);
    this.policy = new Int32Array(length);
    this.resource = new Int32Array(length);
    this.shape = new Int32Array(length);
    const shapeIndex = new Map<GrantShape, number>();
    const ownRows: number[] = [];
    const ownTexts: string[] = [];
    for (let row = 0; row < length; row++) {
      const grant = grants[row] as Grant;
      this.principal[row] = this.valueOf(grant.principalId);
      this.policy[row] = this.valueOf(grant.policyId);
      this.resource[row] = grant.resource === undefined ? NONE : this.valueOf(grant.resource);
      const compact = compactGrant(grant);
      const shape = compact.sharedShape;
      const own = compact.ownIdText;
      let index = shapeIndex.get(shape);
      if (index === undefined) {
        index = this.shapes.length;
        this.shapes.push(shape);
        shapeIndex.set(shape, index);
      }
      this.shape[row] = index;
      if (own !== undefined) {
        ownRows.push(row);
        ownTexts.push(own);
      }
      if (grant.conditions !== undefined) this.conditions.set(row, grant.conditions);
    }
    this.own = new OwnIdTexts(Int32Array.from(ownRows), ownTexts);
    const keyCount = this.values.length;
    this.byPrincipal = RowGroups.of(this.principal, length, keyCount);
    this.byPolicy = RowGroups.of(this.policy, length, keyCount);
    // An empty resource places a grant nowhere, as an absent one does.
    this.byResource = RowGroups.of(this.resource, length, keyCount, this.keyOf(""));
  }

  /**
   * Several tables as one, rows in order (the first table's, then the next's), without making a
   * grant object or spelling an id: how the served inventory joins its sources' stored tables.
   * Grants are not deduplicated across tables (each source's ids are its own provider's).
   */
  static concat(tables: readonly GrantTable[]): GrantTable {
    if (tables.length === 1) return tables[0] as GrantTable;
    const length = tables.reduce((sum, table) => sum + table.length, 0);
    const values: string[] = [];
    const valueIndex = new Map<string, number>();
    const principal = new Int32Array(length);
    const policy = new Int32Array(length);
    const resource = new Int32Array(length);
    const shape = new Int32Array(length);
    const shapes: GrantShape[] = [];
    const ownRows: number[] = [];
    const ownTexts: string[] = [];
    const conditions = new Map<number, Condition[]>();
    let offset = 0;
    for (const table of tables) {
      // This table's value indexes, renumbered into the joined table's.
      const renumber = new Int32Array(table.values.length);
      table.values.forEach((text, index) => {
        let joined = valueIndex.get(text);
        if (joined === undefined) {
          joined = values.length;
          values.push(text);
          valueIndex.set(text, joined);
        }
        renumber[index] = joined;
      });
      const shapeOffset = shapes.length;
      shapes.push(...table.shapes);
      for (let row = 0; row < table.length; row++) {
        principal[offset + row] = renumber[table.principal[row] as number] as number;
        policy[offset + row] = renumber[table.policy[row] as number] as number;
        const at = table.resource[row] as number;
        resource[offset + row] = at === NONE ? NONE : (renumber[at] as number);
        shape[offset + row] = (table.shape[row] as number) + shapeOffset;
      }
      const texts = table.own.all();
      table.own.rows.forEach((row, k) => {
        ownRows.push(offset + row);
        ownTexts.push(texts[k] as string);
      });
      for (const [row, list] of table.conditions) conditions.set(offset + row, list);
      offset += table.length;
    }
    return new GrantTable({ values, principal, policy, resource, shape, shapes, own: new OwnIdTexts(Int32Array.from(ownRows), ownTexts), conditions });
  }

  /**
   * The table as it is held, for the stored inventory (src/history/columnar-codec.ts), which writes
   * these columns as they are and builds a table back from them without making a grant object.
   */
  columns(): GrantColumns {
    return {
      values: this.values,
      principal: this.principal,
      policy: this.policy,
      resource: this.resource,
      shape: this.shape,
      shapes: this.shapes,
      own: this.own,
      conditions: this.conditions,
    };
  }

  private valueOf(text: string): number {
    let index = this.valueIndex.get(text);
    if (index === undefined) {
      index = this.values.length;
      this.values.push(text);
      this.valueIndex.set(text, index);
    }
    return index;
  }

  private keyOf(text: string): number {
    return this.valueIndex.get(text) ?? NONE;
  }

  private rows(rows: Int32Array): Grant[] {
    const out = new Array<Grant>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = new GrantRow(this, rows[i] as number);
    return out;
  }

  grantsOf(principalId: string): Grant[] {
    return this.rows(this.byPrincipal.rowsOf(this.keyOf(principalId)));
  }

  grantCountOf(principalId: string): number {
    return this.byPrincipal.count(this.keyOf(principalId));
  }

  /**
   * Whether some grant of the principal passes `test`, given its shared shape (provider, kind)
   * and policy id: a gate over many principals that makes no row views.
   */
  someGrantOf(principalId: string, test: (shape: GrantShape, policyId: string) => boolean): boolean {
    const groups = this.byPrincipal;
    const key = this.keyOf(principalId);
    for (let i = groups.start(key), end = groups.end(key); i < end; i++) {
      const row = groups.row(i);
      if (test(this.shapeAt(row), this.policyAt(row))) return true;
    }
    return false;
  }

  /** Every principal that holds a grant, in first-seen order (for walking the table by principal). */
  principalsWithGrants(): string[] {
    const principals: string[] = [];
    for (let key = 0; key < this.values.length; key++) if (this.byPrincipal.count(key) > 0) principals.push(this.values[key] as string);
    return principals;
  }

  /** The rows of a principal's grants, in table order (read with the column reads below). */
  rowsOfPrincipal(principalId: string): Int32Array {
    return this.byPrincipal.rowsOf(this.keyOf(principalId));
  }

  grantsOfPolicy(policyId: string): Grant[] {
    return this.rows(this.byPolicy.rowsOf(this.keyOf(policyId)));
  }

  grantsOn(resource: string): Grant[] {
    return this.rows(this.byResource.rowsOf(this.keyOf(resource)));
  }

  at(row: number): Grant {
    if (row < 0 || row >= this.length) throw new RangeError(`no grant at row ${row}`);
    return new GrantRow(this, row);
  }

  *[Symbol.iterator](): Iterator<Grant> {
    for (let row = 0; row < this.length; row++) yield new GrantRow(this, row);
  }

  /** The rows of one provider's grants (for indexes kept as row numbers, read back with `at`). */
  rowsOfProvider(provider: Provider): number[] {
    const rows: number[] = [];
    for (let row = 0; row < this.length; row++) {
      if ((this.shapes[this.shape[row] as number] as GrantShape).provider === provider) rows.push(row);
    }
    return rows;
  }

  toArray(): Grant[] {
    return Array.from(this);
  }

  /** Grants per provider, of every principal or only of `principalIds`, without making row views. */
  countByProvider(principalIds?: ReadonlySet<string>): Map<Provider, number> {
    const counts = new Map<Provider, number>();
    for (let row = 0; row < this.length; row++) {
      if (principalIds && !principalIds.has(this.values[this.principal[row] as number] as string)) continue;
      const provider = (this.shapes[this.shape[row] as number] as GrantShape).provider;
      counts.set(provider, (counts.get(provider) ?? 0) + 1);
    }
    return counts;
  }

  // Column reads for GrantRow.
  principalAt(row: number): string {
    return this.values[this.principal[row] as number] as string;
  }

  policyAt(row: number): string {
    return this.values[this.policy[row] as number] as string;
  }

  resourceAt(row: number): string | undefined {
    const index = this.resource[row] as number;
    return index === NONE ? undefined : this.values[index];
  }

  shapeAt(row: number): GrantShape {
    return this.shapes[this.shape[row] as number] as GrantShape;
  }

  ownIdAt(row: number): string | undefined {
    return this.own.get(row);
  }

  conditionsAt(row: number): Condition[] | undefined {
    return this.conditions.get(row);
  }
}

/** One grant of a table, read from its columns. */
export class GrantRow implements Grant {
  constructor(
    private readonly table: GrantTable,
    private readonly row: number,
  ) {}

  get id(): string {
    return spellId(this.table.shapeAt(this.row), this.table.ownIdAt(this.row), this);
  }

  get provider(): Provider {
    return this.table.shapeAt(this.row).provider;
  }

  get kind(): Grant["kind"] {
    return this.table.shapeAt(this.row).kind;
  }

  get principalId(): string {
    return this.table.principalAt(this.row);
  }

  get policyId(): string {
    return this.table.policyAt(this.row);
  }

  get resource(): string | undefined {
    return this.table.resourceAt(this.row);
  }

  get conditions(): Condition[] | undefined {
    return this.table.conditionsAt(this.row);
  }

  get evidence(): Evidence {
    return this.table.shapeAt(this.row).evidence;
  }

  toJSON(): Grant {
    return plainGrant(this);
  }
}
