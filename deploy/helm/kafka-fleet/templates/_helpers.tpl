{{/* The release's prefix for every name: <release>-kafka-fleet, or just <release> when it already says so. */}}
{{- define "kf.fullname" -}}
{{- if contains "kafka-fleet" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-kafka-fleet" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every resource; with kf.selector (name, instance) where it has a component, else kf.instance. */}}
{{- define "kf.labels" -}}
app.kubernetes.io/part-of: kafka-fleet
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kf.instance" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector of one component: (dict "root" $ "component" "batch-consumer"). */}}
{{- define "kf.selector" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* The three services, in order, with their values and role. */}}
{{- define "kf.services" -}}
producer: producer
single-consumer: singleConsumer
batch-consumer: batchConsumer
{{- end -}}

{{- define "kf.kafkaName" -}}{{ include "kf.fullname" . }}-kafka{{- end -}}

{{/* Brokers: the values' own, or the in-cluster Kafka's three. */}}
{{- define "kf.bootstrap" -}}
{{- if .Values.kafka.bootstrapServers -}}
{{- .Values.kafka.bootstrapServers -}}
{{- else if .Values.kafka.inCluster.enabled -}}
{{- $name := include "kf.kafkaName" . -}}
{{- $brokers := list -}}
{{- range $i := until 3 -}}
{{- $brokers = append $brokers (printf "%s-%d.%s-headless.%s.svc:19092" $name $i $name $.Release.Namespace) -}}
{{- end -}}
{{- join "," $brokers -}}
{{- else -}}
{{- fail "kafka.bootstrapServers is empty: set it to your cluster's brokers, or kafka.inCluster.enabled=true for a development Kafka" -}}
{{- end -}}
{{- end -}}

{{/* Seconds Kubernetes waits after SIGTERM: above SHUTDOWN_GRACE_MS, or the graceful stop is cut short by SIGKILL. */}}
{{- define "kf.terminationGrace" -}}
{{- $graceS := divf (float64 .Values.env.SHUTDOWN_GRACE_MS) 1000.0 | ceil | int -}}
{{- if .Values.terminationGracePeriodSeconds -}}
{{- if le (int .Values.terminationGracePeriodSeconds) $graceS -}}
{{- fail (printf "terminationGracePeriodSeconds=%v must be above SHUTDOWN_GRACE_MS (%v ms): the pod would be killed mid-stop" .Values.terminationGracePeriodSeconds .Values.env.SHUTDOWN_GRACE_MS) -}}
{{- end -}}
{{- .Values.terminationGracePeriodSeconds -}}
{{- else -}}
{{- add $graceS 10 -}}
{{- end -}}
{{- end -}}

{{- define "kf.isConsumer" -}}{{ if ne .component "producer" }}true{{ end }}{{- end -}}

{{/* A consumer runs as a StatefulSet under static membership (stable pod names = stable instance ids). */}}
{{- define "kf.kind" -}}
{{- if and .root.Values.staticMembership.enabled (include "kf.isConsumer" .) -}}StatefulSet{{- else -}}Deployment{{- end -}}
{{- end -}}

{{/* Checks of one service's autoscaling values; prints nothing. */}}
{{- define "kf.checkAutoscaling" -}}
{{- with .values.autoscaling -}}
{{- $as := . -}}
{{- if and $as.keda.enabled $as.hpa.enabled -}}
{{- fail (printf "%s: autoscaling.keda and autoscaling.hpa are both enabled: choose one" .component) -}}
{{- end -}}
{{- range $name, $scaler := (dict "keda" $as.keda "hpa" $as.hpa) -}}
{{- if and $scaler.enabled (gt (int $scaler.maxReplicas) (int $.root.Values.kafka.partitions)) -}}
{{- fail (printf "%s: autoscaling.%s.maxReplicas=%v is above kafka.partitions=%v: the extra replicas would own no partition" $.component $name $scaler.maxReplicas $.root.Values.kafka.partitions) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kf.autoscaled" -}}
{{- if and .values.autoscaling (or .values.autoscaling.keda.enabled .values.autoscaling.hpa.enabled) -}}true{{- end -}}
{{- end -}}

{{/*
A variable's value as the service reads it. Helm reads numbers of a values file as float64, which print as
1.2e+06: an integral one is printed as an integer. Integers beyond 2^53 (a PRODUCE_FROM near the int64 limit)
must be quoted in the values to keep every digit.
*/}}
{{- define "kf.envValue" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) -}}
{{- int64 . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}
