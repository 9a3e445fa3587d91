{{- define "paysaga.name" -}}{{ .Release.Name }}-paysaga{{- end -}}

{{- define "paysaga.labels" -}}
app.kubernetes.io/name: paysaga
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "paysaga.selector" -}}
app.kubernetes.io/name: paysaga
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "paysaga.secretName" -}}
{{- if .Values.secrets.existingSecret -}}{{ .Values.secrets.existingSecret }}{{- else -}}{{ include "paysaga.name" . }}{{- end -}}
{{- end -}}

{{/* Environment every paysaga container gets: config, secrets, Temporal. */}}
{{- define "paysaga.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "paysaga.name" . }}
  - secretRef:
      name: {{ include "paysaga.secretName" . }}
env:
  - name: TEMPORAL_ADDRESS
    value: {{ .Values.temporal.address | quote }}
  - name: TEMPORAL_NAMESPACE
    value: {{ .Values.temporal.namespace | quote }}
{{- if .Values.temporal.tls.enabled }}
  - name: TEMPORAL_TLS_CERT
    value: /etc/temporal-tls/tls.crt
  - name: TEMPORAL_TLS_KEY
    value: /etc/temporal-tls/tls.key
{{- if .Values.temporal.tls.ca }}
  - name: TEMPORAL_TLS_CA
    value: /etc/temporal-tls/ca.crt
{{- end }}
{{- end }}
{{- if .Values.temporal.apiKey.secretName }}
  - name: TEMPORAL_API_KEY
    valueFrom:
      secretKeyRef:
        name: {{ .Values.temporal.apiKey.secretName }}
        key: {{ .Values.temporal.apiKey.key }}
{{- end }}
{{- if .Values.sandbox.enabled }}
  - name: PAYSAGA_SIM_URL
    value: http://{{ include "paysaga.name" . }}-sandbox:8090
{{- end }}
{{- end -}}

{{- define "paysaga.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- if .Values.temporal.tls.enabled }}
  - name: temporal-tls
    mountPath: /etc/temporal-tls
    readOnly: true
{{- end }}
{{- end -}}

{{- define "paysaga.volumes" -}}
volumes:
  - name: tmp
    emptyDir: {}
{{- if .Values.temporal.tls.enabled }}
  - name: temporal-tls
    secret:
      secretName: {{ required "temporal.tls.secretName is required with temporal.tls.enabled" .Values.temporal.tls.secretName }}
{{- end }}
{{- end -}}
