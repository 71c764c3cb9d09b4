/** The one aggregation behind `getSubscriberServices`: a group's subscriptions joined to their pods. */
export function subscriberServicesPipeline(serviceGroup: string, servicesCollection: string): Record<string, unknown>[] {
  return [
    { $match: { service_group: serviceGroup } },
    { $lookup: { from: servicesCollection, localField: 'subscriber_key', foreignField: '_id', as: 'pod' } },
    { $unwind: '$pod' },
    { $replaceRoot: { newRoot: '$pod' } },
  ];
}

/** Whether a `hello` reply describes a deployment with transactions: a replica set member or mongos. */
export function supportsTransactions(hello: Record<string, unknown>): boolean {
  return typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
}
