/** One subscriber connection as presence sees it. */
export interface PresenceEntry {
  /** The connection id (unique across nodes: it starts with the node id). */
  readonly connectionId: string;
  /** The authenticated user, if any. */
  readonly user: string | undefined;
  /** The topics and patterns it subscribed to. */
  readonly topics: readonly string[];
}

/** Who is subscribed to a topic. */
export interface PresenceCount {
  /** Open connections whose subscription matches the topic (by name or by pattern). */
  readonly connections: number;
  /** The distinct users among them, sorted; anonymous connections count but have no user. */
  readonly users: readonly string[];
}

/**
 * Where presence is kept. The hub announces every connection when it opens and withdraws it when
 * it closes; a networked store (Redis) also expires connections that are not announced again
 * within its TTL, which is how the connections of a node that died disappear.
 *
 * @see LocalPresence for one node, RedisPresence for a cluster.
 */
export interface PresenceStore {
  /** Short name for logs, e.g. `"redis"`. */
  readonly kind: string;
  /**
   * How often the hub must announce its open connections again, in ms; undefined when entries
   * never expire (the local store reads the hub's connections directly).
   */
  readonly refreshMs?: number | undefined;
  /** Records connections as present (new, or still open). */
  announce(entries: readonly PresenceEntry[]): Promise<void>;
  /** Removes connections that closed. */
  withdraw(entries: readonly PresenceEntry[]): Promise<void>;
  /** Counts the connections and users subscribed to `topic` across every node. */
  query(topic: string): Promise<PresenceCount>;
  /** Releases resources. */
  close?(): Promise<void>;
}
