/** Builds the demo (server bundle and frontend) once for the whole suite. */
import { buildDemo } from '../scripts/build.mjs';

export default async function setup(): Promise<void> {
  await buildDemo();
}
