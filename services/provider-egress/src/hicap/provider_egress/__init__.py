"""hicap.provider_egress: provider adapters, pools, retries and failover behind hicap.egress.<provider>."""
