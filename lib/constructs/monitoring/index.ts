/** Monitoring of one region: freshness monitor, alert formatter, alarms from the alert catalog, dashboard. */
export { AlarmFactory, type AlarmOptions } from './alarm-factory.js';
export { AlertFormatter, type AlertFormatterProps } from './alert-formatter.js';
export { addRecoveryDashboard, type RecoveryDashboardProps } from './dashboard.js';
export { FRESHNESS_CRON, FreshnessMonitor, type FreshnessMonitorProps } from './freshness-monitor.js';
export { MetricFactory, type MetricOptions } from './metric-factory.js';
export { Monitoring, type MonitoringProps, watchAllFunctions } from './monitoring.js';
