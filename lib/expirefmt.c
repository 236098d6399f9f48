/* expirefmt.c - bs-expire's report lines: each decision and the totals, as text or JSON. */
#include <inttypes.h>
#include <string.h>
#include "expirefmt.h"
#include "units.h"

/* A decision as JSON: backups always, files when verbose. */
static void json(struct bs_buf *b, const struct bs_expire *x, int how, enum bs_expired kind, const char *name,
		 const char *why, int rule)
{
	static const char *const actions[] = {
		[BS_EXPIRED_BACKUP] = "remove", [BS_EXPIRED_DATA] = "remove-data",
		[BS_EXPIRED_KEEP] = "keep", [BS_EXPIRED_KEEP_LISTING] = "keep-listing",
	};

	if (kind == BS_EXPIRED_FILE && !(how & BS_EXPIREFMT_VERBOSE))
		return;
	bs_buf_adds(b, "{");
	bs_json_field(b, kind == BS_EXPIRED_FILE ? "file" : "backup", name, strlen(name));
	if (kind != BS_EXPIRED_FILE)
		bs_buf_addf(b, ",\"action\":\"%s\"", actions[kind]);
	bs_buf_adds(b, ",");
	bs_json_field(b, "reason", why ? why : "", why ? strlen(why) : 0);
	if (kind != BS_EXPIRED_FILE) {
		if (rule >= 0)
			bs_buf_addf(b, ",\"rule\":\"%s\"", bs_keep_names[rule]);
		else
			bs_buf_adds(b, ",\"rule\":null");
	}
	bs_buf_addf(b, ",\"dry_run\":%s}\n", x->dry ? "true" : "false");
}

void bs_expire_fmt(struct bs_buf *b, const struct bs_expire *x, int how, enum bs_expired kind, const char *name,
		   const char *why, int rule)
{
	const char *verb = x->dry ? "would remove" : "removed";
	int verbose = how & BS_EXPIREFMT_VERBOSE;

	if (how & BS_EXPIREFMT_JSON) {
		json(b, x, how, kind, name, why, rule);
		return;
	}
	if (kind == BS_EXPIRED_KEEP || kind == BS_EXPIRED_KEEP_LISTING) {
		if (verbose)
			bs_buf_addf(b, "keep %sbackup %s (%s)\n", kind == BS_EXPIRED_KEEP ? "" : "the listing of ", name,
				    why);
		return;
	}
	if (!x->dry && !verbose)
		return;
	if (kind == BS_EXPIRED_BACKUP)
		bs_buf_addf(b, "%s backup %s (%s)\n", verb, name, why);
	else if (kind == BS_EXPIRED_DATA)
		bs_buf_addf(b, "%s the data of backup %s; its listing is kept (%s)\n", verb, name, why);
	else
		bs_buf_addf(b, "%s %s (%s)\n", verb, name, why);
}

void bs_expire_fmt_totals(struct bs_buf *b, const struct bs_expire *x, int how)
{
	if (how & BS_EXPIREFMT_JSON)
		bs_buf_addf(b, "{\"summary\":true,\"dry_run\":%s,\"backups_removed\":%" PRIu64
			    ",\"data_removed\":%" PRIu64 ",\"chunks_removed\":%" PRIu64 ",\"damaged_removed\":%" PRIu64
			    ",\"temporaries_removed\":%" PRIu64 ",\"bytes_freed\":%" PRIu64 "}\n",
			    x->dry ? "true" : "false", x->backups, x->listings_kept, x->chunks, x->bad, x->temps,
			    x->bytes);
	else
		bs_buf_addf(b, "%s %" PRIu64 " backups, the data of %" PRIu64 " more, %" PRIu64 " chunks, %" PRIu64
			    " damaged or empty chunks, %" PRIu64 " temporary files: %" PRIu64 " bytes%s\n",
			    x->dry ? "would remove" : "removed", x->backups, x->listings_kept, x->chunks, x->bad, x->temps,
			    x->bytes, x->dry ? "" : " freed");
}
