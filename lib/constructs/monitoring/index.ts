/** Monitoring of one region: freshness monitor, alert formatter, alarms from the alert catalog, dashboard. */
export { AlarmFactory, type AlarmOptions } from './alarm-factory';
export { AlertFormatter, type AlertFormatterProps } from './alert-formatter';
export { addRecoveryDashboard, type RecoveryDashboardProps } from './dashboard';
export { FRESHNESS_CRON, FreshnessMonitor, type FreshnessMonitorProps } from './freshness-monitor';
export { MetricFactory, type MetricOptions } from './metric-factory';
export { Monitoring, type MonitoringProps, watchAllFunctions } from './monitoring';
