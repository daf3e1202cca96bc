/** The demo fleet (npm start, "Try a Demo Node…", `ocm demo`): see builder.ts. */
export { firstRunNotice, readBuildMarker, startDemo, stopDemo, type DemoNodeReport, type DemoOptions, type DemoStartResult } from './builder';
export { DEMO_DOWNLOAD, ensureDemoOpenclaw, type OpenclawInstall } from './install';
export { DEMO_AGENT_IDS, DEMO_LABEL, DEMO_NODE_IDS, DEMO_OPENCLAW_VERSION, defaultToolsDir, demoLayout, type DemoLayout, type DemoNodeId } from './layout';
export { readPidFile, stillOurs, type DemoProcess } from './processes';
