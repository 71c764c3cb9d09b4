/** The request bodies of the Go telco example's curl calls (seed 002), verbatim. */
export const HTTP_GW_BODY = `{
    "service_name": "http-gw",
    "pod_name": "http-gw-pod-1",
    "providers": [
      {
        "protocol": "http",
        "ip": "192.168.1.10",
        "port": 8080
      }
    ],
    "health_check_url": "http://192.168.1.10:8080/health",
    "notification_url": "http://192.168.1.10:8080/notify",
    "subscriptions": ["diam-gw", "eir"]
  }`;

export const DIAM_GW_BODY = `{
    "service_name": "diam-gw",
    "pod_name": "diam-gw-pod-1",
    "providers": [
      {
        "protocol": "tcp",
        "ip": "192.168.1.20",
        "port": 3868
      }
    ],
    "health_check_url": "http://192.168.1.20:8080/health",
    "notification_url": "http://192.168.1.20:8080/notify",
    "subscriptions": ["eir"]
  }`;

export const EIR_BODY = `{
    "service_name": "eir",
    "pod_name": "eir-pod-1",
    "providers": [
      {
        "protocol": "http",
        "ip": "192.168.1.30",
        "port": 8080
      },
      {
        "protocol": "tcp",
        "ip": "192.168.1.30",
        "port": 3868
      }
    ],
    "health_check_url": "http://192.168.1.30:8080/health",
    "notification_url": "http://192.168.1.30:8080/notify",
    "subscriptions": []
  }`;

/** The unregister call of seed 002, relative to the mount point. */
export const UNREGISTER_HTTP_GW = '/unregister?service_name=http-gw&pod_name=http-gw-pod-1';
