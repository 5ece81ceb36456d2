export function WorkloadsPage(_: { hubUrl: string }) {
  return null;
}
