import { Token } from 'aws-cdk-lib';
import type { AwsIntegrationServiceOptions } from './aws-integration';
import type { AwsIntegrationService } from './aws-integration-service';

/**
 * What one service's names are checked against: `names` is the service's documented metric names,
 * space-separated, each `{a,b}` part standing for one name per choice (kept as text, and expanded
 * only when a metric list of the service is checked, so that loading the library costs nothing
 * more). `hash` says what the docs put in place of a `#` part, for a service that has one.
 */
interface Documented {
  readonly page: string;
  readonly names: string;
  readonly hash?: string;
  /** What a `*` part stands for, for a service that has one (see `DOCUMENTED`). */
  readonly star?: string;
  /**
   * Whether a last `*` part takes the rest of the name, dots included: only where nothing says the
   * name it stands for holds no dot (an RDS replication channel's). Elsewhere a `*` takes one part.
   */
  readonly starTakesDots?: boolean;
}

const STATS = '{minimum,average,maximum}';

/**
 * The metric names Mackerel documents for a service, as excludedMetrics and includedMetrics take
 * them: a dynamic part is `#`, as in the docs' own example of a metric not to retrieve
 * (`kinesis.latency.#.minimum`, which stands for three metrics). Only the services whose pages name
 * every metric in that form are listed, from the English and Japanese pages alike
 * (mackerelio/documents, content/docs/entry/integrations/aws/<page>.md and content/ja/...).
 *
 * The pages of ALB and NLB (TARGET_GROUP_NAME) and Lambda (ALIAS, VERSION) write a dynamic part as
 * a word in capitals, and none says how a metric list writes it: `#`, as the other pages do, or the
 * name itself. Such a part is `*` here, and takes any one part (`#` included): those names hold no
 * dot. Their lists are the union of every version of the pages read (one version of the ALB page
 * gives 18 metrics per load balancer, a later one 21, with IPv6 and Consumed LCUs, and lists Peak
 * LCUs' 2 besides); the pages' own counts (ALB 21 + 13 per target group, NLB 21 + 2, Lambda 10 +
 * 10 per alias + 10 per version) match them, Peak LCUs aside.
 *
 * RDS's page writes its replication channel metric with CHANNEL_NAME, the channel's name, which
 * is `*` here as well; being the name's last part, it takes the rest of the name, dots included
 * (`starTakesDots`).
 * Its list is the union of the versions read, English and Japanese: the latest (33 to 63 metrics per
 * engine, as Mackerel's help counts them) names every metric of the earlier ones (19 to 43).
 *
 * CloudFront's page (every version read, English and Japanese: 5, then 13, then 14 names of the
 * distribution and 6 per CloudFront Functions function) gives one name, cloudfront.origin_latency,
 * for OriginLatency's three statistics, and counts it once; the names Mackerel posts for them are
 * not written anywhere. That name is taken as it is and with any part after it, so that only a
 * name outside every documented one warns. Its earliest version wrote CacheHitRate's name as
 * cloudfront.origin_latency too, which that covers. FUNCTION_NAME, a function's name, is `*`. Both
 * take one part: a statistic holds no dot, nor does a function's name (letters, digits, `-`, `_`).
 *
 * Not listed, so not checked, as a false warning is worse than a missed one: DynamoDB, whose live
 * page counts 15 + 6 per operation where every version of its text read here lists 13 + 6 (two
 * names of a table are not known), and which writes its stream metrics' part as GetRecords where
 * its other metrics have `#`.
 */
const DOCUMENTED: { readonly [serviceId: string]: Documented } = {
  // The cluster's 12 and the 7 per ECS service.
  ECSCluster: {
    page: 'ecs',
    names: `ecs.{cpu_utilization,memory_utilization,cpu_reservation,memory_reservation}.${STATS} ecs.running_task.#.count `
      + `ecs.{service_cpu_utilization,service_memory_utilization}.#.${STATS}`,
    hash: 'A metric per ECS service is named with # in place of the ECS service name (ecs.running_task.#.count): one name covers every ECS service.',
  },
  // The 11 of a queue.
  SQS: {
    page: 'sqs',
    names: 'sqs.oldest_message.age sqs.message_state.{delayed,not_visible,visible} sqs.receive_count.{empty,received} '
      + 'sqs.message_count.{deleted,sent} sqs.message_size.{average,max,min}',
  },
  // REST, WebSocket and HTTP APIs'; the REST and HTTP ones share apigateway.requests.count and the latency names.
  APIGateway: {
    page: 'apigateway',
    names: `apigateway.requests.count apigateway.errors.{4xx_error,5xx_error} apigateway.cache.{cache_hit_count,cache_miss_count} apigateway.latency.#.${STATS} `
      + `apigateway.websocket_{connect,message}.count apigateway.websocket_errors.{integration,client,execution} apigateway.websocket_latency.${STATS} `
      + 'apigateway.data_processed apigateway.http_errors.{4xx_error,5xx_error}',
    hash: 'Its latency metrics are named with # in place of Latency or IntegrationLatency (apigateway.latency.#.minimum): one name covers both.',
  },
  // The stream's. The English page lists 34, the Japanese one 31, with kinesis.records.put_records where the English one
  // has put_records_{successful,total,failed,throttled} (AWS's PutRecords.Records, and the four that replaced it): both
  // are taken, as which ones Mackerel lists for a stream is not known.
  Kinesis: {
    page: 'kinesis',
    names: 'kinesis.bytes.{get_records,incoming,put_record,put_records} '
      + 'kinesis.records.{get_records,incoming,put_records,put_records_successful,put_records_total,put_records_failed,put_records_throttled} '
      + `kinesis.delay.${STATS} kinesis.{success_rate,success_count}.{get_records,put_record,put_records} `
      + `kinesis.{provisioned_throughput_exceeded,latency}.#.${STATS}`,
    hash: 'Its provisioned throughput exceeded and latency metrics are named with # in place of Read or Write, and of GetRecords, PutRecord or PutRecords '
      + '(kinesis.latency.#.minimum): one name covers each of them.',
  },
  // The node's, Memcached's and Redis'. The page writes the five network_allowance_exceeded names without the
  // elasticache. every other name has (in English and Japanese alike): both spellings are taken, as which one
  // Mackerel lists is not known.
  ElastiCache: {
    page: 'elasticache',
    names: 'elasticache.cpu.used elasticache.cpu_credit.{balance,used} elasticache.swap.usage elasticache.memory.freeable '
      + 'elasticache.network.{in,out} elasticache.network_packets.{in,out} {,elasticache.}network_allowance_exceeded.{in,out,conntrack,link_local,pps} '
      + 'elasticache.memcached.commands.{get,set,flush,touch,config_get,config_set} '
      + 'elasticache.memcached.cache.{get,delete,incr,decr,cas,touch}_{hits,misses} elasticache.memcached.cache.cas_badval '
      + 'elasticache.memcached.evictions.evictions elasticache.memcached.unfetched.{evicted,expired} '
      + 'elasticache.memcached.traffics.{bytes_read_into_memcached,bytes_written_out_from_memcached} elasticache.memcached.connections.{current,new} '
      + 'elasticache.memcached.items.{current,new,reclaimed,current_config,slabs_moved} elasticache.memcached.memory.{unused,used_for_hash,used_for_cache_items} '
      + 'elasticache.redis.{commands,commands_latency}.{get_type,set_type,key_based,string_based,hash_based,list_based,set_based,cluster_based,'
      + 'sorted_set_based,eval_based,geo_spatial_based,hyper_log_log_based,pub_sub_based,stream_based} '
      + 'elasticache.redis.cache.cache_{hits,misses} elasticache.redis.evictions.evictions '
      + 'elasticache.redis.failures.{authentication,command_authorization,key_authorization} elasticache.redis.memory.used_for_cache '
      + 'elasticache.redis.cpu.engine elasticache.redis.disk_io_{bytes,items}.{read,write} elasticache.redis.is_primary.primary '
      + 'elasticache.redis.primary_link_health_status.sync elasticache.redis.keys_tracked.count elasticache.redis.connections.{current,new} '
      + 'elasticache.redis.items.{current,current_volatile,reclaimed} elasticache.redis.active_defrag.hits elasticache.redis.cache_hit_rate.hit '
      + 'elasticache.redis.memory_percentage.database elasticache.redis.average_ttl.db0 elasticache.redis.fragmentation_ratio.memory '
      + 'elasticache.redis.replication_bytes.replication elasticache.redis.replication_lag.lag elasticache.redis.save_in_progress.bgsave',
  },
  // An instance's or a cluster's, of every engine. The union of the pages' versions, English and Japanese alike: the later
  // ones (33 to 63 per engine) keep every name of the earlier ones (19 to 43) and add the log volume, EBS balance, checkpoint,
  // connection attempt, surplus credit, replication channel and Aurora Serverless v2 metrics.
  RDS: {
    page: 'rds',
    names: 'rds.cpu.used rds.cpu_credit.{used,balance} rds.database_connections.used rds.disk_usage.bin_log rds.memory.{free,swap} '
      + 'rds.network_throughput.{read,transmit} rds.diskiops.{read,write} rds.burst_balance.balance rds.maximum_used_transaction_ids.count '
      + 'rds.checkpoint_lag.lag rds.connection_attempts.count rds.cpu_surplus_credits.{balance,charged} rds.ebs_balance.{byte,io} '
      + 'rds.log_volume_disk_queue.depth rds.log_volume_disk.free rds.log_volume_{iops,latency,throughput}.{read,write} '
      + 'rds.disk_queue.depth rds.disk.free rds.replica_lag.lag rds.{latency,throughput}.{read,write} '
      + 'rds.postgres_disk_usage.{replication_slot,transaction_logs} rds.oldest_replication_slot_lag.slot_lag '
      + 'rds.transaction_logs_generation.transaction_log rds.failed_sql_server_agent_jobs.failed rds.replication_channel_lag.* '
      + 'rds.aurora.storage.free rds.aurora.binlog_replica_lag.lag rds.aurora.replica_lag.{lag,max_lag,min_lag} rds.aurora.engine_uptime.uptime '
      + 'rds.aurora.transactions.{active,blocked} rds.aurora.hit_ratio.{buffer,result_set} rds.aurora.dml_{latency,throughput}.{insert,update,delete,dml} '
      + 'rds.aurora.commit_{latency,throughput}.commit rds.aurora.select_{latency,throughput}.select rds.aurora.ddl_{latency,throughput}.ddl '
      + 'rds.aurora.queries.queries rds.aurora.login_failures.failures rds.aurora.deadlocks.deadlocks '
      + 'rds.aurora.backtrack_window_difference.minutes rds.aurora.backtrack_window_alert.alert rds.aurora.aurora_volume_bytes_left_total.total '
      + 'rds.aurora.aborted_clients.aborted rds.aurora.row_lock_time.row_lock rds.aurora.volume_used.bytes '
      + 'rds.aurora.serverless_database_capacity.capacity rds.aurora.acu_utilization.utilization rds.aurora.temp_storage_iops.iops '
      + 'rds.aurora.temp_storage_throughput.throughput',
    star: 'A * part stands for a replication channel\'s name (CHANNEL_NAME in the docs), or #.',
    starTakesDots: true,
  },
  // The load balancer's 23 (of which IPv6, Consumed LCUs and Peak LCUs only in the later page) and the 13 per target group.
  ALB: {
    page: 'alb',
    names: 'alb.{request,request_ipv6}.count alb.{bytes,bytes_ipv6}.processed '
      + 'alb.httpcode_count.{target_2xx,target_3xx,target_4xx,target_5xx,alb_4xx,alb_5xx} alb.concurrent_connection_count.active '
      + 'alb.connection_count.{new,rejected} alb.response.{time,time_p90,time_p95,time_p99} alb.tls_negotiation_error_count.{client,target} '
      + 'alb.connection_error_count.target alb.consumed_lcus.all alb.peak_lcus.{maximum,sum} '
      + 'alb.request_per_group.*.count alb.request_average_per_target.*.average '
      + 'alb.httpcode_count_per_group.*.{target_2xx,target_3xx,target_4xx,target_5xx} alb.response_per_group.*.{time,time_p90,time_p95,time_p99} '
      + 'alb.tls_negotiation_error_count_per_group.*.count alb.host_count.*.{healthy,unhealthy}',
    star: 'A * part stands for a target group\'s name (TARGET_GROUP_NAME in the docs), or #.',
  },
  // The load balancer's 21 and the 2 per target group.
  NLB: {
    page: 'nlb',
    names: 'nlb.bytes.{processed,tcp,tls,udp} nlb.flowcount.{active,new} nlb.tcp_reset.{client_count,target_count,elb_count} '
      + 'nlb.established_active_flow.{tcp,tls,udp} nlb.consumed_lcus.{all,tcp,tls,udp} nlb.new_flow.{tcp,tls,udp} '
      + 'nlb.tls_negotiation_error.{target,client} nlb.host_count.*.{healthy,unhealthy}',
    star: 'A * part stands for a target group\'s name (TARGET_GROUP_NAME in the docs), or #.',
  },
  // The distribution's 14 (13 of them in the earlier pages, without total_error_rate) and the 6 per CloudFront Functions function.
  CloudFront: {
    page: 'cloudfront',
    names: 'cloudfront.requests.request cloudfront.transfer.{download,upload} '
      + 'cloudfront.error_rate.{total_error_rate,4xx_error_rate,5xx_error_rate,401_error_rate,403_error_rate,404_error_rate,502_error_rate,503_error_rate,504_error_rate} '
      + 'cloudfront.cache_hit_rate cloudfront.origin_latency cloudfront.origin_latency.* '
      + `cloudfront.{function_invocations,function_validation_errors,function_execution_errors}.* cloudfront.function_compute_utilization.*.${STATS}`,
    star: 'A * part stands for a CloudFront Functions function\'s name (FUNCTION_NAME in the docs), or #; after cloudfront.origin_latency, for a statistic, '
      + 'as the docs give that one name for its Minimum, Average and Maximum.',
  },
  // The function's 10, and 10 per alias and per version.
  Lambda: {
    page: 'lambda',
    names: 'lambda.count.{invocations,errors,dead_letter_errors,throttles} lambda.{duration,iterator_age}.{average,max,min} '
      + 'lambda.count_per_{alias,version}.*.{invocations,errors,dead_letter_errors,throttles} '
      + 'lambda.{duration,iterator_age}_per_{alias,version}.*.{average,max,min}',
    star: 'A * part stands for an alias or a version (ALIAS or VERSION in the docs; unqualified for $LATEST), or #.',
  },
};

/**
 * Whether `name` is `documented`, a `*` part of it taking any one part; with `starTakesDots`, a last
 * `*` part takes the rest of the name, dots included, as nothing says a replication channel's name holds none.
 */
function isDocumented(name: string, documented: string, starTakesDots: boolean): boolean {
  if (name === documented) return true;
  if (!documented.includes('*')) return false;
  const pattern = documented.split('.');
  const last = pattern.length - 1;
  const parts = starTakesDots && pattern[last] === '*' ? splitAtMost(name, pattern.length) : name.split('.');
  return parts.length === pattern.length && pattern.every((part, i) => (part === '*' ? parts[i] !== '' : parts[i] === part));
}

/** `name` split at its first `count - 1` dots: the last part keeps the rest. */
function splitAtMost(name: string, count: number): string[] {
  const parts = name.split('.');
  return parts.length <= count ? parts : [...parts.slice(0, count - 1), parts.slice(count - 1).join('.')];
}

/** A warning lists every documented name of a service that has at most this many; past it, those of the name's graph. */
const LISTED_NAMES = 40;

/** `a.{b,c}.{d,e}` as its four names. */
function expand(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  const close = pattern.indexOf('}', open);
  return pattern.slice(open + 1, close).split(',').flatMap((choice) => expand(pattern.slice(0, open) + choice + pattern.slice(close + 1)));
}

const expanded = new Map<string, readonly string[]>();

/** The documented names of a service (expanded on first use), or undefined for a service this release does not check. */
function documentedNames(serviceId: string): readonly string[] | undefined {
  // Own keys only: AwsIntegrationService.of takes an id such as "constructor", which every object has.
  if (!Object.prototype.hasOwnProperty.call(DOCUMENTED, serviceId)) return undefined;
  let names = expanded.get(serviceId);
  if (!names) {
    names = DOCUMENTED[serviceId].names.split(' ').flatMap(expand);
    expanded.set(serviceId, names);
  }
  return names;
}

/** Whether `name` is the documented `withHash` with something other than `#` in its `#` part, or without that part. */
function fillsHash(name: string, withHash: string): boolean {
  const parts = name.split('.');
  const documented = withHash.split('.');
  // ecs.running_task.count: the # left out rather than filled in, as likely a slip.
  if (parts.length === documented.length - 1) return name === documented.filter((part) => part !== '#').join('.');
  return parts.length === documented.length && documented.every((part, i) => (part === '#' ? parts[i] !== '#' : parts[i] === part));
}

/**
 * One warning per name of the service's metric list that Mackerel does not document for it: an
 * excluded name that matches no metric excludes nothing, and an included one retrieves nothing,
 * and Mackerel is not known to refuse either. A warning, not an error: Mackerel may add metrics
 * after this release. Empty for a service whose names this release does not know.
 * @internal
 */
export function _unknownMetricWarnings(service: AwsIntegrationService, options: AwsIntegrationServiceOptions): string[] {
  const lists = (['excludedMetrics', 'includedMetrics'] as const).filter((list) => options[list] !== undefined && !Token.isUnresolved(options[list]));
  const documented = lists.length ? documentedNames(service.id) : undefined;
  if (!documented) return [];
  const { page, hash, star, starTakesDots = false } = DOCUMENTED[service.id];
  const warnings: string[] = [];
  for (const list of lists) {
    options[list]!.forEach((name, i) => {
      if (Token.isUnresolved(name) || documented.some((d) => isDocumented(name, d, starTakesDots))) return;
      const hashHint = hash && documented.some((d) => d.includes('#') && fillsHash(name, d)) ? ` ${hash}` : '';
      const graph = name.slice(0, name.lastIndexOf('.') + 1);
      const listed = documented.length <= LISTED_NAMES ? documented : documented.filter((d) => graph && d.startsWith(graph) && !d.slice(graph.length).includes('.'));
      const starHint = star && listed.some((d) => d.includes('*')) ? ` ${star}` : '';
      warnings.push(`services.${service.id}.${list}[${i}] ${JSON.stringify(name)} is not a metric name Mackerel documents for ${service.id}`
        + `${listed.length ? ` (${listed.join(', ')})` : ''}: ${list === 'excludedMetrics' ? 'it excludes nothing' : 'it retrieves nothing'}.${hashHint}${starHint} `
        + `Use a documented name (https://mackerel.io/docs/entry/integrations/aws/${page}), or acknowledge this warning for a metric Mackerel added after this release`);
    });
  }
  return warnings;
}
