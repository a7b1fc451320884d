package deploy

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/gongsync/gongsync/internal/config"
	gsync "github.com/gongsync/gongsync/sync"
)

const manifestsDir = "kubernetes"

// secretSettings are the settings that hold secrets (config marks them; this test
// checks each is still a setting).
var secretSettings = []string{"DATABASE_URL", "GONG_ACCESS_KEY_SECRET", "GONG_OAUTH_CLIENT_SECRET",
	"GONGSYNC_ENCRYPTION_KEY", "GONGSYNC_WEBHOOK_TOKEN", "GONGSYNC_ACTIONS_TOKEN"}

// manifest is one Kubernetes object read from the manifests folder.
type manifest struct {
	file string
	obj  any // *appsv1.Deployment, *batchv1.CronJob, …
}

// documentSeparator splits a multi-document YAML file.
var documentSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// decodeStrict decodes one object into its Kubernetes API type, failing on any field
// the type does not have (a misspelt probe, a field at the wrong level).
func decodeStrict(doc []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	var obj any
	switch tm.APIVersion + " " + tm.Kind {
	case "v1 ConfigMap":
		obj = &corev1.ConfigMap{}
	case "v1 Secret":
		obj = &corev1.Secret{}
	case "v1 Service":
		obj = &corev1.Service{}
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "batch/v1 CronJob":
		obj = &batchv1.CronJob{}
	case "batch/v1 Job":
		obj = &batchv1.Job{}
	default:
		return nil, &unknownKindError{tm.APIVersion, tm.Kind}
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

type unknownKindError struct{ apiVersion, kind string }

func (e *unknownKindError) Error() string {
	return "apiVersion " + e.apiVersion + " kind " + e.kind + " is not one this test knows: add its type"
}

func readManifests(t *testing.T) []manifest {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(manifestsDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", manifestsDir, err)
	}
	var out []manifest
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range documentSeparator.Split(string(b), -1) {
			if isBlankYAML(doc) {
				continue
			}
			obj, err := decodeStrict([]byte(doc))
			if err != nil {
				t.Errorf("%s, document %d: %v", f, i+1, err)
				continue
			}
			out = append(out, manifest{file: f, obj: obj})
		}
	}
	return out
}

// isBlankYAML reports whether a document holds only comments and blank lines.
func isBlankYAML(doc string) bool {
	for _, l := range strings.Split(doc, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// configMap returns the shipped ConfigMap (the daemon test runs with its settings).
func configMap(t *testing.T) *corev1.ConfigMap {
	t.Helper()
	for _, m := range readManifests(t) {
		if cm, ok := m.obj.(*corev1.ConfigMap); ok {
			return cm
		}
	}
	t.Fatal("no ConfigMap in " + manifestsDir)
	return nil
}

// workload is a pod template with where it came from.
type workload struct {
	name string
	pod  *corev1.PodSpec
}

// The manifests decode strictly into Kubernetes' API types, set only variables
// gongsync reads, run commands gongsync has, and run them the way the issue asks:
// probes on /healthz and /readyz, resources, non-root, a read-only root filesystem,
// settings from the ConfigMap and secrets from the Secret, no concurrent CronJob runs.
func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	known := map[string]bool{}
	for _, s := range config.Settings() {
		known[s.Env] = true
	}
	manifests := readManifests(t)

	var (
		cms       = map[string]*corev1.ConfigMap{}
		secrets   = map[string]*corev1.Secret{}
		services  []*corev1.Service
		deploys   []*appsv1.Deployment
		cronJobs  []*batchv1.CronJob
		jobs      []*batchv1.Job
		workloads []workload
	)
	for _, m := range manifests {
		switch o := m.obj.(type) {
		case *corev1.ConfigMap:
			cms[o.Name] = o
		case *corev1.Secret:
			secrets[o.Name] = o
		case *corev1.Service:
			services = append(services, o)
		case *appsv1.Deployment:
			deploys = append(deploys, o)
			workloads = append(workloads, workload{"Deployment " + o.Name, &o.Spec.Template.Spec})
		case *batchv1.CronJob:
			cronJobs = append(cronJobs, o)
			workloads = append(workloads, workload{"CronJob " + o.Name, &o.Spec.JobTemplate.Spec.Template.Spec})
		case *batchv1.Job:
			jobs = append(jobs, o)
			workloads = append(workloads, workload{"Job " + o.Name, &o.Spec.Template.Spec})
		}
	}
	if len(deploys) != 1 || len(cronJobs) == 0 || len(jobs) != 1 || len(cms) != 1 || len(secrets) != 1 || len(services) != 1 {
		t.Fatalf("want a Deployment, CronJobs, a migration Job, a ConfigMap, a Secret and a Service; got %d, %d, %d, %d, %d, %d",
			len(deploys), len(cronJobs), len(jobs), len(cms), len(secrets), len(services))
	}

	// Every key of the ConfigMap and the Secret becomes a variable (envFrom).
	for name, cm := range cms {
		for k := range cm.Data {
			if !known[k] {
				t.Errorf("ConfigMap %s sets %s, which gongsync does not read", name, k)
			}
		}
	}
	for name, s := range secrets {
		for k := range s.StringData {
			if !known[k] {
				t.Errorf("Secret %s sets %s, which gongsync does not read", name, k)
			}
		}
		for k := range s.Data {
			if !known[k] {
				t.Errorf("Secret %s sets %s, which gongsync does not read", name, k)
			}
		}
	}
	// Secrets go in the Secret, never in the ConfigMap (which anyone who may read the
	// namespace's configuration can read).
	for _, k := range secretSettings {
		if !known[k] {
			t.Errorf("%s is listed as a secret but is not a setting gongsync reads", k)
		}
		for name, cm := range cms {
			if _, ok := cm.Data[k]; ok {
				t.Errorf("ConfigMap %s sets %s, a secret", name, k)
			}
		}
	}

	bin := gongsyncBinary(t)
	var image string
	for _, w := range workloads {
		pod := w.pod
		if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
			t.Errorf("%s: the pod does not require a non-root user", w.name)
		}
		if len(pod.Containers) != 1 {
			t.Errorf("%s: %d containers, want gongsync alone", w.name, len(pod.Containers))
			continue
		}
		c := pod.Containers[0]
		if image == "" {
			image = c.Image
		} else if c.Image != image {
			t.Errorf("%s: image %s, the others %s (one release everywhere)", w.name, c.Image, image)
		}
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			t.Errorf("%s: the container must have a read-only root filesystem, no privilege escalation and no capabilities", w.name)
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q := c.Resources.Requests[r]; q.IsZero() {
				t.Errorf("%s: no %s request", w.name, r)
			}
			if q := c.Resources.Limits[r]; q.IsZero() {
				t.Errorf("%s: no %s limit", w.name, r)
			}
		}
		for _, e := range c.Env {
			if !known[e.Name] {
				t.Errorf("%s: sets %s, which gongsync does not read", w.name, e.Name)
			}
			if e.Value != "" && slices.Contains(secretSettings, e.Name) {
				t.Errorf("%s: %s is written in the manifest, not taken from the Secret", w.name, e.Name)
			}
		}
		var fromCM, fromSecret bool
		for _, ef := range c.EnvFrom {
			switch {
			case ef.ConfigMapRef != nil:
				fromCM = cms[ef.ConfigMapRef.Name] != nil
			case ef.SecretRef != nil:
				fromSecret = secrets[ef.SecretRef.Name] != nil
			}
		}
		if !fromCM || !fromSecret {
			t.Errorf("%s: settings must come from the ConfigMap and secrets from the Secret of this folder", w.name)
		}
		// The command and its flags are gongsync's: `<args> --help` exits 0.
		if len(c.Command) != 0 {
			t.Errorf("%s: command %q overrides the image's entrypoint", w.name, c.Command)
		}
		cmd := exec.Command(bin, append(slices.Clone(c.Args), "--help")...)
		cmd.Env = []string{}
		if out, err := cmd.CombinedOutput(); err != nil || !bytes.Contains(out, []byte("Usage: gongsync "+c.Args[0])) {
			t.Errorf("%s: gongsync %s --help: %v\n%s", w.name, strings.Join(c.Args, " "), err, out)
		}
	}

	// The daemon: probes on the address the ConfigMap gives the HTTP server.
	d := deploys[0]
	c := d.Spec.Template.Spec.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != "run" {
		t.Errorf("Deployment runs %q, want run", c.Args)
	}
	host, port, err := net.SplitHostPort(cms["gongsync-config"].Data["GONGSYNC_HTTP_ADDR"])
	if err != nil || (host != "" && host != "0.0.0.0" && host != "::") {
		t.Errorf("GONGSYNC_HTTP_ADDR %q: probes and Prometheus need a port on every interface (e.g. :9090): %v",
			cms["gongsync-config"].Data["GONGSYNC_HTTP_ADDR"], err)
	}
	var httpPort int32
	for _, p := range c.Ports {
		if p.Name == "http" {
			httpPort = p.ContainerPort
		}
	}
	if port == "" || httpPort == 0 || port != strconv.Itoa(int(httpPort)) {
		t.Errorf("container port http %d is not GONGSYNC_HTTP_ADDR's port %q", httpPort, port)
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}, {"startup", c.StartupProbe, "/healthz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
			t.Errorf("Deployment: %s probe %+v, want GET %s on the http port", p.name, p.probe, p.path)
		}
	}
	svc := services[0]
	for k, v := range svc.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("Service %s selects %s=%s, which the daemon's pods do not carry", svc.Name, k, v)
		}
	}

	// The alternative: scheduled one-shot runs that never overlap.
	for _, cj := range cronJobs {
		if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
			t.Errorf("CronJob %s: concurrencyPolicy %q, want Forbid", cj.Name, cj.Spec.ConcurrencyPolicy)
		}
		if args := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args; len(args) == 0 || args[0] != "sync" {
			t.Errorf("CronJob %s runs %q, want sync", cj.Name, args)
		}
	}
	cronJobsCoverTheSchedules(t, cronJobs)
	if args := jobs[0].Spec.Template.Spec.Containers[0].Args; len(args) == 0 || args[0] != "migrate" {
		t.Errorf("Job %s runs %q, want migrate", jobs[0].Name, args)
	}
}

// cronJobsCoverTheSchedules checks the CronJobs' commands against the stream
// registry: together they run every stream of every schedule group the daemon runs,
// the on-demand settle passes and sweeps included (what "loses no calls" rests on).
func cronJobsCoverTheSchedules(t *testing.T, cronJobs []*batchv1.CronJob) {
	t.Helper()
	covered := map[string]bool{}
	for _, cj := range cronJobs {
		args := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args
		var streams []string
		switch {
		case len(args) == 1:
			streams = gsync.AllStreams // those a pass may find due
		case len(args) == 3 && args[1] == "--streams":
			var err error
			if streams, err = gsync.ParseStreams(args[2]); err != nil {
				t.Errorf("CronJob %s: %v", cj.Name, err)
			}
		case len(args) == 3 && args[1] == "--schedule":
			var err error
			if streams, err = gsync.GroupStreams(args[2]); err != nil {
				t.Errorf("CronJob %s: %v", cj.Name, err)
			}
		default:
			t.Errorf("CronJob %s runs %q: want sync, sync --streams S or sync --schedule G", cj.Name, args)
		}
		for _, s := range streams {
			covered[s] = true
		}
	}
	for _, g := range gsync.ScheduleGroups() {
		streams, _ := gsync.GroupStreams(g)
		for _, s := range streams {
			if !covered[s] {
				t.Errorf("no CronJob runs the stream %s, which the daemon's %s schedule runs", s, g)
			}
		}
	}
}

// The decoding is strict: a field the API type does not have fails, at any depth.
func TestKubernetesDecodingIsStrict(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(manifestsDir, "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := documentSeparator.Split(string(b), -1)[0]
	if _, err := decodeStrict([]byte(doc)); err != nil {
		t.Fatalf("the Deployment as shipped: %v", err)
	}
	for _, tc := range []struct{ from, to string }{
		{"readinessProbe:", "readinesProbe:"},                             // misspelt
		{"          periodSeconds: 10\n", "          periodSecond: 10\n"}, // deep inside a probe
		{"  replicas: 1\n", "  replicas: 1\n  replica: 1\n"},              // beside the right one
	} {
		bad := strings.Replace(doc, tc.from, tc.to, 1)
		if bad == doc {
			t.Fatalf("%q is not in the Deployment", tc.from)
		}
		if _, err := decodeStrict([]byte(bad)); err == nil || !strings.Contains(err.Error(), "unknown field") {
			t.Errorf("%q → %q decoded: %v", tc.from, tc.to, err)
		}
	}
}
