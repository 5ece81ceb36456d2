import { describe, expect, it } from 'vitest';
import { compileUriTemplate, type UriTemplate } from './uri-template.js';

function t(source: string): UriTemplate {
  const c = compileUriTemplate(source);
  if ('message' in c) throw new Error(c.message);
  return c;
}

describe('compileUriTemplate', () => {
  it.each([
    // [template, string, matches]
    ['https://example.com/books/{id}', 'https://example.com/books/1', true],
    ['https://example.com/books/{id}', 'https://example.com/books/', true],
    ['https://example.com/books/{id}', 'https://example.com/books/1/reviews', false],
    ['https://example.com/books/{id}', 'https://example.com/Books/1', false],
    ['https://example.com/books/{id}', 'https://example.com/books/a%2Fb', true],
    ['https://example.com/books/{id}', 'https://example.com/books/a b', false],
    ['https://example.com/books/{id}', 'https://example.com/books/caf\u00e9', true],
    ['https://example.com/books/{id}.json', 'https://example.com/books/1.json', true],
    ['https://example.com/{a}/{b}', 'https://example.com/x/y', true],
    ['https://example.com/{a}/{b}', 'https://example.com/x', false],
    ['{+path}/here', 'a/b/c/here', true],
    ['{path}/here', 'a/b/c/here', false],
    ['x{#frag}', 'x#a/b', true],
    ['x{#frag}', 'x', true],
    ['x{.ext}', 'x.json', true],
    ['x{/segs*}', 'x/a/b/c', true],
    ['x{/seg}', 'x/a/b', false],
    ['x{;a,b}', 'x;a=1;b', true],
    ['x{?topic}', 'x?topic=https%3A%2F%2Fexample.com%2F1', true],
    ['x{?topic}', 'x?other=1', false],
    ['x{?topic}', 'x?topic', false],
    ['x{?a,b}', 'x?a=1&b=2', true],
    ['x{&a}', 'x&a=1', true],
    ['x{list}', 'x1,2,3', true],
    ['x{keys*}', 'xa=1,b=2', true],
    ['x{var:3}', 'xabc', true],
    [
      '/.well-known/mercure/subscriptions/{topic}/{subscriber}',
      '/.well-known/mercure/subscriptions/https%3A%2F%2Fexample.com%2F%7Bid%7D/urn%3Auuid%3A1',
      true,
    ],
  ])('%s ~ %s: %s', (template, s, want) => {
    expect(t(template).matches(s)).toBe(want);
  });

  it.each([
    ['a{', /without a matching "}"/],
    ['a}', /without a matching "{"/],
    ['{=x}', /reserved/],
    ['{a b}', /variable name/],
    ['a b{x}', /cannot hold/],
    ['{x:0}', /prefix length/],
    ['{}', /names no variable/],
    ['a%zz{x}', /percent-encoded/],
  ])('refuses %s', (template, why) => {
    const c = compileUriTemplate(template);
    expect('message' in c && c.message).toMatch(why);
  });

  it('keeps the literal prefix for a quick check', () => {
    expect(t('https://example.com/books/{id}').prefix).toBe('https://example.com/books/');
    expect(t('{+all}').prefix).toBe('');
  });

  it('matches pathological templates without backtracking', () => {
    // A backtracking matcher needs about n^k steps here (it would not finish); the automaton n * k.
    const evil = t(`x${Array.from({ length: 16 }, (_, i) => `{v${i}}`).join('')}!`);
    const s = `x${'a'.repeat(5000)}`;
    expect(evil.matches(s)).toBe(false);
    expect(evil.matches(`${s}!`)).toBe(true);
  });

  it('refuses templates with more than 16 expressions', () => {
    const c = compileUriTemplate(`x${Array.from({ length: 17 }, (_, i) => `{v${i}}`).join('')}`);
    expect('message' in c && c.message).toMatch(/more than 16 expressions/);
  });
});
