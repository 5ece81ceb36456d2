import { version } from 'react';
import { version as domVersion } from 'react-dom';
import { describe, expect, it } from 'vitest';

describe('the React this project runs against', () => {
  it('is the major version the project is named after, for react and react-dom alike', () => {
    const major = process.env.TIDINGS_REACT_MAJOR;
    expect(major).toMatch(/^1[89]$/);
    expect(version.split('.')[0]).toBe(major);
    expect(domVersion.split('.')[0]).toBe(major);
  });
});
