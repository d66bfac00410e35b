{{/*
Chart name, overridable with nameOverride.
*/}}
{{- define "lookspan.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name: release name + chart name, at most 63 characters.
*/}}
{{- define "lookspan.fullname" -}}
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

{{/*
Name of the headless service that governs the StatefulSet.
*/}}
{{- define "lookspan.headlessServiceName" -}}
{{- printf "%s-headless" (include "lookspan.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{/*
Chart label value.
*/}}
{{- define "lookspan.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels shared by every resource.
*/}}
{{- define "lookspan.labels" -}}
helm.sh/chart: {{ include "lookspan.chart" . }}
{{ include "lookspan.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Labels that select the pods.
*/}}
{{- define "lookspan.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lookspan.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
ServiceAccount name.
*/}}
{{- define "lookspan.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "lookspan.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Container image reference; a digest wins over a tag.
*/}}
{{- define "lookspan.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{/*
"true" when API keys are configured (chart-managed or existing Secret).
*/}}
{{- define "lookspan.authEnabled" -}}
{{- if or .Values.auth.existingSecret .Values.auth.apiKeys }}true{{- end }}
{{- end }}

{{/*
Secret holding LOOKSPAN_API_KEYS.
*/}}
{{- define "lookspan.authSecretName" -}}
{{- if .Values.auth.existingSecret }}
{{- .Values.auth.existingSecret }}
{{- else }}
{{- printf "%s-auth" (include "lookspan.fullname" . | trunc 58 | trimSuffix "-") }}
{{- end }}
{{- end }}

{{/*
In-cluster DNS name of the main service.
*/}}
{{- define "lookspan.serviceHost" -}}
{{- printf "%s.%s.svc.cluster.local" (include "lookspan.fullname" .) .Release.Namespace }}
{{- end }}

{{/*
Refuse settings that would put two writers on one data directory.
*/}}
{{- define "lookspan.validate" -}}
{{- if and .Values.persistence.enabled .Values.persistence.existingClaim (gt (int .Values.replicaCount) 1) }}
{{- fail "persistence.existingClaim holds one single-writer store: it needs replicaCount 1 (leave existingClaim empty to give every replica its own claim)" }}
{{- end }}
{{- if and .Values.lookspan.shutdownTimeoutSeconds (ge (int .Values.lookspan.shutdownTimeoutSeconds) (int .Values.terminationGracePeriodSeconds)) }}
{{- fail "lookspan.shutdownTimeoutSeconds must be below terminationGracePeriodSeconds, or Kubernetes kills the pod mid-shutdown" }}
{{- end }}
{{- if lt (int .Values.replicaCount) 0 }}
{{- fail "replicaCount must not be negative" }}
{{- end }}
{{- end }}
