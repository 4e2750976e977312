package main

import (
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"breakwater/shared/topology"
)

// fakeContext is context as the CDK hands it over: strings from -c, JSON values from cdk.json.
type fakeContext map[string]any

func (f fakeContext) TryGetContext(key *string) any { return f[*key] }

func TestConfigFrom(t *testing.T) {
	defaults := config{
		Stage: "dev", AssetDir: "build", Capacity: topology.DefaultCapacity(), RetentionDays: 30,
		IntakeAgeAlarm: 300 * time.Second, LogRetentionDays: 30,
		LeaseSeconds: 180, HandleSeconds: 240, TemplateRefresh: 30 * time.Second,
	}
	tests := []struct {
		name    string
		ctx     fakeContext
		want    func(c *config)
		wantErr bool
	}{
		{name: "defaults", ctx: fakeContext{}, want: func(*config) {}},
		{name: "strings from -c", ctx: fakeContext{"stage": "prod", "maxConcurrency": "200", "alarmEmail": "ops@example.com", "intakeAgeAlarmSeconds": "600"},
			want: func(c *config) {
				c.Stage, c.Capacity.MaxConcurrency, c.AlarmEmail, c.IntakeAgeAlarm = "prod", 200, "ops@example.com", 600*time.Second
			}},
		{name: "numbers from cdk.json", ctx: fakeContext{"retentionDays": float64(90), "apiRateQuota": float64(50000), "apiBurstQuota": float64(25000)},
			want: func(c *config) { c.RetentionDays, c.Capacity.APIRate, c.Capacity.APIBurst = 90, 50000, 25000 }},
		{name: "the Double 11 plan's settings", ctx: fakeContext{"concurrencyQuota": "2500", "maxConcurrency": "200", "warmWrites": "160000", "warmIndexReads": float64(20000)},
			want: func(c *config) {
				c.Capacity.Concurrency, c.Capacity.MaxConcurrency, c.Capacity.WarmWrites, c.Capacity.WarmIndexReads = 2500, 200, 160000, 20000
			}},
		{name: "the old stage throttle is refused, naming its replacement", ctx: fakeContext{"throttleRate": "1000"}, wantErr: true},
		{name: "warm throughput below what a new table takes", ctx: fakeContext{"warmWrites": "1000"}, wantErr: true},
		{name: "reservations past the account's concurrency", ctx: fakeContext{"concurrencyQuota": "250", "maxConcurrency": "200"}, wantErr: true},
		{name: "empty string keeps the default", ctx: fakeContext{"maxConcurrency": ""}, want: func(*config) {}},
		{name: "event source minimum concurrency is 2", ctx: fakeContext{"maxConcurrency": "1"}, wantErr: true},
		{name: "event source maximum concurrency is 1000", ctx: fakeContext{"maxConcurrency": float64(1001)}, wantErr: true},
		{name: "not a number", ctx: fakeContext{"retentionDays": "thirty"}, wantErr: true},
		{name: "fraction", ctx: fakeContext{"retentionDays": 1.5}, wantErr: true},
		{name: "stage with capitals", ctx: fakeContext{"stage": "Prod"}, wantErr: true},
		{name: "intake age under a minute", ctx: fakeContext{"intakeAgeAlarmSeconds": "30"}, wantErr: true},
		{name: "agents' settings", ctx: fakeContext{"leaseSeconds": "300", "averageHandleSeconds": float64(120), "templateRefreshSeconds": "10"},
			want: func(c *config) {
				c.LeaseSeconds, c.HandleSeconds, c.TemplateRefresh = 300, 120, 10*time.Second
			}},
		{name: "a lease longer than the longest hold", ctx: fakeContext{"leaseSeconds": "3600"}, wantErr: true},
		{name: "no template refresh", ctx: fakeContext{"templateRefreshSeconds": "0"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configFrom(tt.ctx)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("configFrom(%v) = %+v, want an error", tt.ctx, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("configFrom(%v): %v", tt.ctx, err)
			}
			want := defaults
			tt.want(&want)
			if got != want {
				t.Errorf("configFrom(%v) = %+v, want %+v", tt.ctx, got, want)
			}
		})
	}
}

func TestLogRetention(t *testing.T) {
	tests := []struct {
		days int
		want awslogs.RetentionDays
	}{
		{1, awslogs.RetentionDays_ONE_DAY}, {2, awslogs.RetentionDays_THREE_DAYS}, {30, awslogs.RetentionDays_ONE_MONTH},
		{31, awslogs.RetentionDays_TWO_MONTHS}, {400, awslogs.RetentionDays_THIRTEEN_MONTHS}, {5000, awslogs.RetentionDays_TEN_YEARS},
	}
	for _, tt := range tests {
		if got := logRetention(tt.days); got != tt.want {
			t.Errorf("logRetention(%d) = %v, want %v", tt.days, got, tt.want)
		}
	}
}
