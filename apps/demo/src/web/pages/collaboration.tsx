export function CollaborationPage(_: { sessionId: string }) {
  return null;
}
