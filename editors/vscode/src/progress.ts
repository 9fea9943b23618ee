// Work-done progress as VS Code notifications. vscode-languageclient shows a server's progress in the status
// bar (ProgressLocation.Window), where there is no Cancel button; docs/editors.md promises a notification a run
// can be cancelled from. This takes over window/workDoneProgress/create: each progress the server creates (one
// per agent of a chain) becomes a notification titled as the server says, its Cancel sends
// window/workDoneProgress/cancel, and it closes when the server ends it.
import * as vscode from "vscode";
import {
  LanguageClient,
  WorkDoneProgress,
  WorkDoneProgressBegin,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  WorkDoneProgressReport,
} from "vscode-languageclient/node";

export function showProgressAsNotifications(client: LanguageClient): vscode.Disposable {
  const open = new Set<vscode.Disposable>();
  client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
    let report: ((message: string | undefined) => void) | undefined;
    let finish: (() => void) | undefined;
    const finished = new Promise<void>((resolve) => { finish = resolve; });
    const listener = client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === "begin") {
        const begin = value as WorkDoneProgressBegin;
        void vscode.window.withProgress({
          location: vscode.ProgressLocation.Notification,
          title: begin.title,
          cancellable: begin.cancellable === true,
        }, (progress, cancel) => {
          cancel.onCancellationRequested(() => {
            void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
          });
          report = (message) => progress.report({ message });
          if (begin.message) {
            progress.report({ message: begin.message });
          }
          return finished;
        });
      } else if (value.kind === "report") {
        report?.((value as WorkDoneProgressReport).message);
      } else {
        listener.dispose();
        open.delete(listener);
        finish?.();
      }
    });
    open.add(listener);
  });
  return new vscode.Disposable(() => {
    for (const listener of open) {
      listener.dispose();
    }
    open.clear();
  });
}
