{{/* The chart's name. */}}
{{- define "exhaust.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name, the prefix of every object's name. */}}
{{- define "exhaust.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "exhaust.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "exhaust.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: exhaust
{{- end }}

{{/* Selector labels of one component: (dict "ctx" $ "component" "aggregate"). */}}
{{- define "exhaust.selectorLabels" -}}
app.kubernetes.io/name: {{ include "exhaust.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The exhaust image. */}}
{{- define "exhaust.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The NATS URL: natsURL, or the bundled chart's client Service, named as the
NATS chart names it (its nats.fullname).
*/}}
{{- define "exhaust.natsURL" -}}
{{- if .Values.natsURL }}
{{- .Values.natsURL }}
{{- else if .Values.nats.enabled }}
{{- $name := "nats" }}
{{- if .Values.nats.fullnameOverride }}
{{- printf "nats://%s:4222" (.Values.nats.fullnameOverride | trunc 63 | trimSuffix "-") }}
{{- else if contains $name .Release.Name }}
{{- printf "nats://%s:4222" (.Release.Name | trunc 63 | trimSuffix "-") }}
{{- else }}
{{- printf "nats://%s:4222" (printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-") }}
{{- end }}
{{- else }}
{{- fail "natsURL is required when nats.enabled is false: the URL of a NATS server configured as deploy/nats/nats.conf" }}
{{- end }}
{{- end }}

{{/* The NATS credentials of one user, as container env: (dict "ctx" $ "user" "phone"). */}}
{{- define "exhaust.natsEnv" -}}
- name: EXHAUST_NATS_USER
  value: {{ .user | quote }}
- name: EXHAUST_NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .ctx.Values.natsSecret.name }}
      key: {{ .user }}
{{- end }}

{{/* The simulated city's settings, as container env. */}}
{{- define "exhaust.cityEnv" -}}
- name: EXHAUST_SEED
  value: {{ .Values.simulation.seed | quote }}
- name: EXHAUST_PERSONS
  value: {{ .Values.simulation.persons | quote }}
- name: EXHAUST_DAYS
  value: {{ .Values.simulation.days | quote }}
- name: EXHAUST_SPEED
  value: {{ .Values.simulation.speed | quote }}
{{- end }}

{{/* The NATS users: admin, aggregator, truth and one per producer. */}}
{{- define "exhaust.natsUsers" -}}
{{- toJson (concat (list "admin" "aggregator" "truth") .Values.producers.names) }}
{{- end }}

{{/* A writable /tmp on a read-only root file system: the mount, then the volume. */}}
{{- define "exhaust.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}
{{- define "exhaust.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}

{{/*
Values the chart no longer reads, refused in one line rather than ignored.
*/}}
{{- define "exhaust.refuseOldValues" -}}
{{- if hasKey .Values "aggregate" }}
{{- fail "the value aggregate was renamed aggregator (aggregator.replicas, .port, .extraArgs, .resources, .service): rename it in your values" }}
{{- end }}
{{- end }}
