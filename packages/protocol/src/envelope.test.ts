import { describe, expect, it } from 'vitest';
import { validatePublishType } from './envelope.js';
import { SYSTEM_EVENTS } from './system-events.js';

describe('validatePublishType', () => {
  it.each(Object.values(SYSTEM_EVENTS))('refuses the hub’s own event type "%s" with a sentence', (type) => {
    expect(validatePublishType(type)).toBe(
      `The event type "${type}" is reserved for the hub's own events; choose another name.`,
    );
  });

  it.each([
    ['', /non-empty string/],
    [42, /non-empty string/],
    ['has space', /printable ASCII without spaces/],
    ['x'.repeat(129), /129 characters long; the limit is 128/],
  ])('refuses the malformed type %j', (type, message) => {
    expect(validatePublishType(type)).toMatch(message);
  });

  it.each(['lease-added', 'Reset', 'reset.done', 'connected2', 'x'.repeat(128)])('accepts "%s"', (type) => {
    expect(validatePublishType(type)).toBeUndefined();
  });
});
