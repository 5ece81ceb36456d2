import type { DeliveryLane } from '../core/hub-plugin.js';
import type { StoredEvent } from '../core/stored-event.js';
import { type MercureConnection, mercureFrame } from './mercure-connection.js';
import { mercureTopicsOf } from './topic-mapping.js';

interface TemplateEntry {
  readonly matches: (topic: string) => boolean;
  readonly conns: Set<MercureConnection>;
}

/**
 * Fans stored events out to Mercure subscribers. It is a lane of the hub's registry, so it sees
 * every event of every node in order, and finds candidates by
 * every topic of an update (canonical and alternates): exact selectors through a map, templates
 * (each distinct template matched once per event) and `*`. Each candidate then checks the event
 * itself (`accepts`), private-update authorization included; the frame is encoded once per event.
 */
export class MercureDispatcher implements DeliveryLane {
  private readonly exact = new Map<string, Set<MercureConnection>>();
  private readonly templates = new Map<string, TemplateEntry>();
  private readonly all = new Set<MercureConnection>();
  private size = 0;
  private seq = 0;

  /** Registers a connection under its selectors; returns the function that removes it. */
  add(conn: MercureConnection): () => void {
    for (const s of conn.subscriber.selectors) {
      if (s.all) {
        this.all.add(conn);
        continue;
      }
      let set = this.exact.get(s.source);
      if (!set) {
        set = new Set();
        this.exact.set(s.source, set);
      }
      set.add(conn);
      const t = s.template;
      if (t) {
        let e = this.templates.get(s.source);
        if (!e) {
          e = { matches: (topic) => t.matches(topic), conns: new Set() };
          this.templates.set(s.source, e);
        }
        e.conns.add(conn);
      }
    }
    this.size++;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.size--;
      for (const s of conn.subscriber.selectors) {
        if (s.all) {
          this.all.delete(conn);
          continue;
        }
        const set = this.exact.get(s.source);
        if (set?.delete(conn) && set.size === 0) this.exact.delete(s.source);
        const e = this.templates.get(s.source);
        if (e?.conns.delete(conn) && e.conns.size === 0) this.templates.delete(s.source);
      }
    };
  }

  dispatch(events: readonly StoredEvent[]): void {
    if (this.size === 0) return;
    for (const ev of events) {
      const topics = mercureTopicsOf(ev);
      const mark = ++this.seq;
      let frame: Uint8Array | undefined;
      const visit = (c: MercureConnection) => {
        if (c.mark === mark) return;
        c.mark = mark;
        frame ??= mercureFrame(ev);
        c.deliver(ev, frame);
      };
      for (const t of topics) this.exact.get(t)?.forEach(visit);
      for (const e of this.templates.values()) {
        if (topics.some(e.matches)) e.conns.forEach(visit);
      }
      this.all.forEach(visit);
    }
  }
}
