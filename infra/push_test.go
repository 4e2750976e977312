package main

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"breakwater/shared/topology"
)

// The WebSocket API is what topology says: routed by the frame's action, hello to the push function with a route
// response, ping to a mock, no $connect or $disconnect; its stage throttled by its share of the account's quota,
// logged without query strings; and the push function may do nothing but write its logs.
func TestPushMatchesTopology(t *testing.T) {
	dev, prod := stages(t)
	for _, s := range []*synthesized{dev, prod} {
		api := s.logicalID(s.Push.API)
		p := s.resource(t, api).Properties
		if p["ProtocolType"] != "WEBSOCKET" || p["RouteSelectionExpression"] != topology.WebSocketRouteSelection {
			t.Errorf("%s: WebSocket API %v / %v, want WEBSOCKET routed by %s", s.Config.Stage, p["ProtocolType"], p["RouteSelectionExpression"], topology.WebSocketRouteSelection)
		}
		routes := map[string]resource{}
		for _, r := range s.resources("AWS::ApiGatewayV2::Route") {
			if refersTo(r.Properties["ApiId"], api) {
				routes[r.Properties["RouteKey"].(string)] = r
			}
		}
		var want []string
		for _, r := range topology.WebSocketRoutes {
			want = append(want, r.Key)
		}
		if got := slices.Sorted(maps.Keys(routes)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			t.Errorf("%s: WebSocket routes %v, want exactly %v (no $connect, $disconnect or $default)", s.Config.Stage, got, want)
		}
		integrations := s.resources("AWS::ApiGatewayV2::Integration")
		responses := s.resources("AWS::ApiGatewayV2::RouteResponse")
		for _, r := range topology.WebSocketRoutes {
			route, ok := routes[r.Key]
			if !ok {
				continue
			}
			var integ *resource
			for id, in := range integrations {
				if strings.Contains(js(route.Properties["Target"]), `"`+id+`"`) {
					integ = &in
				}
			}
			if integ == nil {
				t.Errorf("%s: route %s has no integration", s.Config.Stage, r.Key)
				continue
			}
			if r.Function == "" {
				if integ.Properties["IntegrationType"] != "MOCK" {
					t.Errorf("%s: route %s integration %v, want MOCK", s.Config.Stage, r.Key, integ.Properties["IntegrationType"])
				}
			} else if integ.Properties["IntegrationType"] != "AWS_PROXY" || !refersTo(integ.Properties["IntegrationUri"], s.logicalID(s.Functions[r.Function])) {
				t.Errorf("%s: route %s integration %v %v, want the %s function by proxy", s.Config.Stage, r.Key, integ.Properties["IntegrationType"], integ.Properties["IntegrationUri"], r.Function)
			}
			answers := false
			for _, rr := range responses {
				if refersTo(rr.Properties["RouteId"], route.ID) {
					answers = true
				}
			}
			if answers != r.Response {
				t.Errorf("%s: route %s answers on the connection = %v, want %v", s.Config.Stage, r.Key, answers, r.Response)
			}
		}
		for id, st := range s.resources("AWS::ApiGatewayV2::Stage") {
			if !refersTo(st.Properties["ApiId"], api) {
				continue
			}
			th := s.Config.Capacity.WebSocketThrottle()
			rs := asMap(st.Properties["DefaultRouteSettings"])
			if st.Properties["StageName"] != topology.PushStage || num(rs["ThrottlingRateLimit"]) != float64(th.Rate) || num(rs["ThrottlingBurstLimit"]) != float64(th.Burst) {
				t.Errorf("%s: stage %s %v throttled %v, want %s at %+v", s.Config.Stage, id, st.Properties["StageName"], rs, topology.PushStage, th)
			}
			logs := asMap(st.Properties["AccessLogSettings"])
			if f, _ := logs["Format"].(string); logs["DestinationArn"] == nil || strings.Contains(f, "querystring") || strings.Contains(f, "$context.path") {
				t.Errorf("%s: stage %s access log %v, want one without query strings", s.Config.Stage, id, logs)
			}
		}
	}
	role := dev.logicalID(dev.Functions["push"].Role())
	for id, sts := range dev.statements() {
		if !refersTo(dev.resource(t, id).Properties["Roles"], role) {
			continue
		}
		for _, st := range sts {
			for _, a := range strs(st["Action"]) {
				if !strings.HasPrefix(a, "logs:") {
					t.Errorf("the push function may %s on %s, want nothing but its logs", a, js(st["Resource"]))
				}
			}
		}
	}
}
