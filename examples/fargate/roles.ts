// The Mackerel role full names of the example, declared once: the agent writes them into
// MACKEREL_ROLES and later monitors, downtimes and alert groups scope by the same strings.

/** The Mackerel service the shop's hosts belong to. */
export const SHOP_SERVICE = 'shop';

/** The role every task of the web service joins. */
export const SHOP_WEB_ROLE = `${SHOP_SERVICE}:web`;
