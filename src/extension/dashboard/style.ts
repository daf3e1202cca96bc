/**
 * The dashboard's CSS: VS Code's theme colours only (CSS variables the webview host sets), so it
 * follows light, dark and high-contrast themes; visible focus for keyboard users.
 */
export const DASHBOARD_CSS = `
:root { color-scheme: light dark; }
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); margin: 0; padding: 12px 16px 24px; }
header.top { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }
header.top h1 { font-size: 1.3em; font-weight: 600; margin: 0; }
.summary { color: var(--vscode-descriptionForeground); flex: 1; }
button { font: inherit; color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; padding: 3px 10px; cursor: pointer; }
button:hover { background: var(--vscode-button-hoverBackground); }
button.secondary { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); }
button.secondary:hover { background: var(--vscode-button-secondaryHoverBackground); }
button.link { background: none; border: none; padding: 0; color: var(--vscode-textLink-foreground); text-align: left; }
button.link:hover { text-decoration: underline; background: none; }
button:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 2px; }
button[disabled] { opacity: 0.6; cursor: default; }
#cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; }
.card { background: var(--vscode-editorWidget-background, var(--vscode-sideBar-background)); border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border)); border-left: 4px solid var(--health); border-radius: 4px; padding: 10px 12px; display: flex; flex-direction: column; gap: 8px; }
.card h2 { font-size: 1.1em; margin: 0; flex: 1; overflow: hidden; text-overflow: ellipsis; }
.card .head { display: flex; align-items: center; gap: 8px; }
.dot { width: 10px; height: 10px; border-radius: 50%; background: var(--health); flex: none; }
.state { font-weight: 600; color: var(--health); }
.h-ready { --health: var(--vscode-testing-iconPassed, #73c991); }
.h-notReady, .h-gatewayDown, .h-unreachable { --health: var(--vscode-errorForeground, #f14c4c); }
.h-notInstalled { --health: var(--vscode-editorWarning-foreground, #cca700); }
.h-unknown { --health: var(--vscode-descriptionForeground, #888); }
.meta, .reason, .note { margin: 0; color: var(--vscode-descriptionForeground); }
.reason { color: var(--vscode-errorForeground); overflow-wrap: anywhere; }
h3 { font-size: 0.9em; text-transform: uppercase; letter-spacing: 0.04em; margin: 0 0 4px; color: var(--vscode-descriptionForeground); font-weight: 600; }
.row { display: grid; grid-template-columns: 6.5em 1fr 4.5em; align-items: center; gap: 8px; }
.row .value { text-align: right; font-variant-numeric: tabular-nums; }
.bar { height: 8px; border-radius: 4px; background: var(--vscode-input-background, rgba(128,128,128,0.2)); border: 1px solid var(--vscode-widget-border, transparent); overflow: hidden; }
.fill { height: 100%; width: 0; background: var(--vscode-progressBar-background, #0e70c0); }
.l-warning .fill { background: var(--vscode-editorWarning-foreground, #cca700); }
.l-error .fill { background: var(--vscode-errorForeground, #f14c4c); }
.bar.unknown { opacity: 0.4; }
ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
.problems li { overflow-wrap: anywhere; }
.problems li::before { content: '⚠ '; color: var(--vscode-editorWarning-foreground); }
.problems li.error::before { content: '✖ '; color: var(--vscode-errorForeground); }
.backup.stale, .backup.none { color: var(--vscode-editorWarning-foreground); }
.actions { display: flex; gap: 6px; flex-wrap: wrap; margin-top: auto; }
.empty { color: var(--vscode-descriptionForeground); }
@media (forced-colors: active) { .fill { background: Highlight; } .card { border-left-width: 4px; } }
`;
