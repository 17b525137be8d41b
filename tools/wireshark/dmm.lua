-- dmm.lua: Wireshark/tshark (4.0) dissector for the dmm signalling messages
-- (Distributed Mobility Management, draft-tu-dmm-with-mip-00 as dmm
-- implements it). Layouts: docs/PROTOCOL.md; the reference codec:
-- core/msg.c. Every dmm message is one IPv6 Mobility Header message; the
-- dissector names every byte of it, maps it back to the dmm message kind
-- (dmm.type, the enum dmm_msg_type of core/msg.h) and applies dmm's decoder
-- policy: whatever dmm_msg_decode would refuse gets an expert error
-- (dmm.expert.short / malformed / align / unknown / toomany), never a Lua
-- error.
--
-- Transport: it replaces Wireshark's MIPv6 dissector on "ip.proto" 135 (raw
-- IPv6, next header 135) and on "udp.port" 5436 (RFC 5844's port, dmm's
-- UDP transport; preference dmm.udp_port). Mobility Header types dmm does
-- not use (a plain MIPv6 BU/BA without the P flag included) are handed back
-- to Wireshark's own MIPv6 dissector (preference dmm.fallback).
--
-- Load:  tshark -X lua_script:tools/wireshark/dmm.lua -r CAPTURE
--   or copy it to ~/.local/lib/wireshark/plugins/ (see docs/PROTOCOL.md).

local dmm = Proto("dmm", "DMM Mobility Header")

-- ---- numbers (core/msg.c, docs/PROTOCOL.md) ----
local MH_BU, MH_BA, MH_EXP, MH_HI, MH_HACK = 5, 6, 11, 14, 15
local MH_LRI, MH_LRA, MH_UPN, MH_UPA = 17, 18, 19, 20
local OPT_PAD1, OPT_PADN, OPT_MNID, OPT_EXP = 0, 1, 8, 18
local OPT_HNP, OPT_HI, OPT_TS, OPT_MAG = 22, 23, 27, 51
local XO_FUNC, XO_FLAGS, XO_PREV, XO_HOME, XO_TARGET = 1, 2, 3, 4, 5
local XO_ORIGIN, XO_LIFETIME, XO_AUTH, XO_PHL, XO_VER = 6, 7, 8, 9, 10
local MSG_MAX, MAX_OPTIONS, MAX_HNP, MNID_MAX = 512, 24, 4, 32
local F_ALL = 0x00ff

local mh_names = {
	[MH_BU] = "Proxy Binding Update", [MH_BA] = "Proxy Binding Acknowledgement",
	[MH_EXP] = "Experimental Mobility Header",
	[MH_HI] = "Handover Initiate", [MH_HACK] = "Handover Acknowledge",
	[MH_LRI] = "Localized Routing Initiation", [MH_LRA] = "Localized Routing Acknowledgment",
	[MH_UPN] = "Update Notification", [MH_UPA] = "Update Notification Acknowledgement",
}
local MSG = {
	HOA_REQ = 1, HOA_REP = 2, LOC_UPDATE = 3, LOC_ACK = 4, LOC_QUERY = 5,
	LOC_REPLY = 6, CTX_REQ = 7, CTX_ACK = 8, REDIRECT = 9, REDIRECT_ACK = 10,
	LM_NOTIFY = 11, LM_NOTIFY_ACK = 12, LM_FWD = 13, LM_FWD_REPLY = 14,
}
local msg_names = {
	[0] = "none", "hoa-req", "hoa-rep", "loc-update", "loc-ack", "loc-query",
	"loc-reply", "ctx-req", "ctx-ack", "redirect", "redirect-ack", "lm-notify",
	"lm-notify-ack", "lm-fwd", "lm-fwd-reply",
}
local exp_names = { "LOC_QUERY", "LOC_REPLY", "LM_FWD", "LM_FWD_REPLY" }
local opt_names = {
	[OPT_PAD1] = "Pad1", [OPT_PADN] = "PadN", [OPT_MNID] = "Mobile Node Identifier",
	[OPT_EXP] = "Experimental Mobility Option", [OPT_HNP] = "Home Network Prefix",
	[OPT_HI] = "Handoff Indicator", [OPT_TS] = "Timestamp", [OPT_MAG] = "MAG IPv6 Address",
}
local xo_names = {
	"XO_FUNC", "XO_FLAGS", "XO_PREV (previous location)", "XO_HOME (anchor MR)",
	"XO_TARGET (address looked up)", "XO_ORIGIN", "XO_LIFETIME", "XO_AUTH",
	"XO_PHL (per-host locator)", "XO_VER (binding version)",
}
local xo_len = { 1, 2, 16, 16, 16, 18, 4, 36, 17, 2 } -- data after the sub-type byte
local func_names = { "HAA", "LM" }
local mnid_names = { [1] = "NAI", [5] = "EUI-48", [6] = "EUI-64" }
local status_names = {
	[0] = "OK", [128] = "Reason unspecified", [129] = "Administratively prohibited",
	[130] = "Insufficient resources", [133] = "Not found", [134] = "Not authoritative",
	[135] = "Stale binding version",
}
local handoff_names = {
	"New interface (attach)", "Handoff between different interfaces",
	"Handoff between MRs for the same interface", "Handoff state unknown",
	"Handoff state not changed (refresh)",
}

-- Per dmm message kind (msg_descs of core/msg.c): MH type, sub-type or
-- function, how the lifetime travels, the DMM_F_* bits the fixed part has
-- itself, and the optional fields (P_*) it may carry.
local P_MNID, P_HNP, P_HANDOFF, P_LOCATION, P_PREV = 0x1, 0x2, 0x4, 0x8, 0x10
local P_TARGET, P_ORIGIN, P_TIMESTAMP, P_AUTH, P_HOME = 0x20, 0x40, 0x80, 0x100, 0x200
local P_PHL, P_VER = 0x400, 0x800
local P_BASE = P_MNID + P_HNP + P_TIMESTAMP + P_LOCATION + P_PREV + P_HOME
local P_LOC = P_BASE + P_PHL + P_VER -- every type but HOA_REQ/HOA_REP
local p_names = {
	[P_MNID] = "MN-ID", [P_HNP] = "HNP", [P_HANDOFF] = "Handoff Indicator",
	[P_LOCATION] = "MAG address (location)", [P_PREV] = "XO_PREV",
	[P_TARGET] = "XO_TARGET", [P_ORIGIN] = "XO_ORIGIN", [P_TIMESTAMP] = "Timestamp",
	[P_AUTH] = "XO_AUTH", [P_HOME] = "XO_HOME", [P_PHL] = "XO_PHL", [P_VER] = "XO_VER",
}
local desc = {
	[MSG.HOA_REQ] = { life = "4s", wire = 0x3, allowed = P_BASE + P_HANDOFF },
	[MSG.HOA_REP] = { life = "4s", wire = 0x2, allowed = P_BASE + P_HANDOFF },
	[MSG.LOC_UPDATE] = { life = "4s", wire = 0x3, allowed = P_LOC + P_HANDOFF },
	[MSG.LOC_ACK] = { life = "4s", wire = 0x2, allowed = P_LOC + P_HANDOFF },
	[MSG.LOC_QUERY] = { life = "s32", wire = F_ALL, allowed = P_LOC + P_TARGET },
	[MSG.LOC_REPLY] = { life = "s32", wire = F_ALL, allowed = P_LOC + P_TARGET },
	[MSG.CTX_REQ] = { life = "opt", wire = 0, allowed = P_LOC + P_HANDOFF + P_ORIGIN },
	[MSG.CTX_ACK] = { life = "opt", wire = 0, allowed = P_LOC + P_HANDOFF },
	[MSG.REDIRECT] = { life = "s16", wire = 0, allowed = P_LOC },
	[MSG.REDIRECT_ACK] = { life = "s16", wire = 0, allowed = P_LOC },
	[MSG.LM_NOTIFY] = { life = "opt", wire = 0x1, allowed = P_LOC },
	[MSG.LM_NOTIFY_ACK] = { life = "opt", wire = 0, allowed = P_LOC },
	[MSG.LM_FWD] = { life = "s32", wire = F_ALL, allowed = P_LOC + P_HANDOFF + P_TARGET + P_ORIGIN },
	[MSG.LM_FWD_REPLY] = { life = "s32", wire = F_ALL, allowed = P_LOC + P_HANDOFF + P_TARGET + P_ORIGIN },
}
-- Bytes of the fixed part after the 6-byte header, per MH type.
local fixed_len = {
	[MH_BU] = 6, [MH_BA] = 6, [MH_EXP] = 12, [MH_HI] = 4, [MH_HACK] = 4,
	[MH_LRI] = 6, [MH_LRA] = 6, [MH_UPN] = 4, [MH_UPA] = 4,
}
local simple_kind = {
	[MH_HI] = MSG.CTX_REQ, [MH_HACK] = MSG.CTX_ACK, [MH_LRI] = MSG.REDIRECT,
	[MH_LRA] = MSG.REDIRECT_ACK, [MH_UPN] = MSG.LM_NOTIFY, [MH_UPA] = MSG.LM_NOTIFY_ACK,
}

-- ---- fields ----
local f, field_list = {}, {}
local function F(key, pf)
	f[key] = pf
	field_list[#field_list + 1] = pf
end
local flag_tf = { "Set", "Not set" }

F("type", ProtoField.uint8("dmm.type", "DMM message", base.DEC, msg_names))
F("proto", ProtoField.uint8("dmm.proto", "Payload Proto", base.DEC))
F("hlen", ProtoField.uint8("dmm.hlen", "Header Length (8-octet units after the first 8)", base.DEC))
F("mhtype", ProtoField.uint8("dmm.mhtype", "Mobility Header Type", base.DEC, mh_names))
F("reserved", ProtoField.uint8("dmm.reserved", "Reserved", base.HEX))
F("checksum", ProtoField.uint16("dmm.checksum", "Checksum (not verified by dmm)", base.HEX))
F("seq", ProtoField.uint16("dmm.seq", "Sequence Number", base.DEC))
F("status", ProtoField.uint8("dmm.status", "Status", base.DEC, status_names))
F("code", ProtoField.uint8("dmm.code", "Code", base.DEC))
F("lifetime", ProtoField.uint32("dmm.lifetime", "Lifetime (seconds)", base.DEC))
F("flags", ProtoField.uint16("dmm.flags", "DMM flags", base.HEX))
F("fl_ack", ProtoField.bool("dmm.flags.ack_req", "ACK_REQ", 16, flag_tf, 0x0001))
F("fl_proxy", ProtoField.bool("dmm.flags.proxy", "PROXY", 16, flag_tf, 0x0002))
F("fl_depr", ProtoField.bool("dmm.flags.deprecate", "DEPRECATE", 16, flag_tf, 0x0004))
F("fl_sub", ProtoField.bool("dmm.flags.subscribe", "SUBSCRIBE", 16, flag_tf, 0x0008))
F("fl_bymnid", ProtoField.bool("dmm.flags.by_mnid", "BY_MNID", 16, flag_tf, 0x0010))
F("fl_fixed", ProtoField.bool("dmm.flags.fixed", "FIXED", 16, flag_tf, 0x0020))
F("fl_replica", ProtoField.bool("dmm.flags.replica", "REPLICA", 16, flag_tf, 0x0040))
F("fl_handover", ProtoField.bool("dmm.flags.handover", "HANDOVER", 16, flag_tf, 0x0080))
F("fl_undef", ProtoField.uint16("dmm.flags.undefined", "Undefined bits", base.HEX, nil, 0xff00))
-- fixed parts of the reused types
F("bu_flags", ProtoField.uint16("dmm.bu.flags", "PBU flags", base.HEX))
F("bu_a", ProtoField.bool("dmm.bu.flags.a", "A (acknowledge)", 16, flag_tf, 0x8000))
F("bu_p", ProtoField.bool("dmm.bu.flags.p", "P (proxy registration)", 16, flag_tf, 0x0200))
F("bu_other", ProtoField.uint16("dmm.bu.flags.other", "Other bits (ignored)", base.HEX, nil, 0x7dff))
F("ba_flags", ProtoField.uint8("dmm.ba.flags", "PBA flags", base.HEX))
F("ba_p", ProtoField.bool("dmm.ba.flags.p", "P (proxy registration)", 8, flag_tf, 0x20))
F("ba_other", ProtoField.uint8("dmm.ba.flags.other", "Other bits (ignored)", base.HEX, nil, 0xdf))
F("life_units", ProtoField.uint16("dmm.lifetime.units", "Lifetime (4-second units)", base.DEC))
F("life16", ProtoField.uint16("dmm.lifetime.s16", "Lifetime (seconds, 16 bits)", base.DEC))
F("exp_sub", ProtoField.uint8("dmm.exp.subtype", "DMM sub-type", base.DEC, exp_names))
F("exp_res", ProtoField.uint8("dmm.exp.reserved", "Reserved", base.HEX))
F("hi_flags", ProtoField.uint8("dmm.hi.flags", "HI flags", base.HEX))
F("hi_s", ProtoField.bool("dmm.hi.flags.s", "S (assigned address configuration)", 8, flag_tf, 0x80))
F("hi_u", ProtoField.bool("dmm.hi.flags.u", "U (buffer)", 8, flag_tf, 0x40))
F("hi_res", ProtoField.uint8("dmm.hi.flags.reserved", "Reserved bits", base.HEX, nil, 0x3f))
F("hack_res", ProtoField.uint8("dmm.hack.reserved", "Reserved", base.HEX))
F("lri_res", ProtoField.uint16("dmm.lri.reserved", "Reserved", base.HEX))
F("lra_flags", ProtoField.uint8("dmm.lra.flags", "LRA flags", base.HEX))
F("lra_u", ProtoField.bool("dmm.lra.flags.u", "U (unsolicited)", 8, flag_tf, 0x80))
F("lra_res", ProtoField.uint8("dmm.lra.flags.reserved", "Reserved bits", base.HEX, nil, 0x7f))
F("upn_flags", ProtoField.uint8("dmm.upn.flags", "UPN flags", base.HEX))
F("upn_a", ProtoField.bool("dmm.upn.flags.a", "A (acknowledge)", 8, flag_tf, 0x80))
F("upn_d", ProtoField.bool("dmm.upn.flags.d", "D (deregister)", 8, flag_tf, 0x40))
F("upn_res", ProtoField.uint8("dmm.upn.flags.reserved", "Reserved bits", base.HEX, nil, 0x3f))
F("upa_res", ProtoField.uint8("dmm.upa.reserved", "Reserved", base.HEX))
-- options
F("opt", ProtoField.none("dmm.opt", "Mobility Option"))
F("opt_type", ProtoField.uint8("dmm.opt.type", "Option Type", base.DEC, opt_names))
F("opt_len", ProtoField.uint8("dmm.opt.len", "Option Length", base.DEC))
F("opt_pad", ProtoField.bytes("dmm.opt.padn", "PadN data"))
F("opt_data", ProtoField.bytes("dmm.opt.data", "Option data (unknown IANA option, skipped)"))
F("mnid_sub", ProtoField.uint8("dmm.opt.mnid.subtype", "MN-ID subtype", base.DEC, mnid_names))
F("mnid", ProtoField.bytes("dmm.opt.mnid", "MN identifier"))
F("mnid_nai", ProtoField.string("dmm.opt.mnid.nai", "NAI"))
F("mnid_eui48", ProtoField.ether("dmm.opt.mnid.eui48", "EUI-48"))
F("mnid_eui64", ProtoField.eui64("dmm.opt.mnid.eui64", "EUI-64"))
F("hnp_res", ProtoField.uint8("dmm.opt.hnp.reserved", "Reserved", base.HEX))
F("hnp_plen", ProtoField.uint8("dmm.opt.hnp.plen", "Prefix Length", base.DEC))
F("hnp", ProtoField.ipv6("dmm.opt.hnp", "Home Network Prefix"))
F("hi_ores", ProtoField.uint8("dmm.opt.handoff.reserved", "Reserved", base.HEX))
F("handoff", ProtoField.uint8("dmm.opt.handoff", "Handoff Indicator", base.DEC, handoff_names))
F("ts", ProtoField.uint64("dmm.opt.timestamp", "Timestamp (48.16 fixed point)", base.DEC))
F("ts_time", ProtoField.absolute_time("dmm.opt.timestamp.time", "Timestamp", base.UTC))
F("mag_res", ProtoField.uint8("dmm.opt.mag.reserved", "Reserved", base.HEX))
F("mag_plen", ProtoField.uint8("dmm.opt.mag.plen", "Address Length", base.DEC))
F("location", ProtoField.ipv6("dmm.opt.location", "MAG address (routing location)"))
F("xo_sub", ProtoField.uint8("dmm.opt.exp.subtype", "DMM option sub-type", base.DEC, xo_names))
F("xo_data", ProtoField.bytes("dmm.opt.exp.data", "Data (unknown DMM sub-type)"))
F("func", ProtoField.uint8("dmm.opt.func", "Function", base.DEC, func_names))
F("xflags", ProtoField.uint16("dmm.opt.xflags", "DMM flags not in the fixed part", base.HEX))
F("prev", ProtoField.ipv6("dmm.opt.prev", "Previous location"))
F("home", ProtoField.ipv6("dmm.opt.home", "Home (anchor MR of the first HNP)"))
F("target", ProtoField.ipv6("dmm.opt.target", "Target (address looked up)"))
F("origin_seq", ProtoField.uint16("dmm.opt.origin.seq", "Origin sequence number", base.DEC))
F("origin", ProtoField.ipv6("dmm.opt.origin", "Origin (requesting MR)"))
F("opt_life", ProtoField.uint32("dmm.opt.lifetime", "Lifetime (seconds)", base.DEC))
F("phl_plen", ProtoField.uint8("dmm.opt.phl.plen", "Locator prefix length", base.DEC))
F("phl", ProtoField.ipv6("dmm.opt.phl", "Per-host locator (of the HNP of the same rank)"))
F("ver", ProtoField.uint16("dmm.opt.ver", "Binding version (of the HNP of the same rank)", base.DEC))
F("keyid", ProtoField.uint32("dmm.opt.auth.keyid", "Key ID", base.HEX))
F("mac", ProtoField.bytes("dmm.opt.auth.mac", "HMAC-SHA-256"))

local fl_bits = { "fl_ack", "fl_proxy", "fl_depr", "fl_sub", "fl_bymnid", "fl_fixed", "fl_replica", "fl_handover", "fl_undef" }

dmm.fields = field_list

-- Expert infos: one per dmm decoder error (core/msg.c, dmm_err_counter).
local E = {
	short = ProtoExpert.new("dmm.expert.short", "Shorter than its header length (DMM_E_SHORT)",
		expert.group.MALFORMED, expert.severity.ERROR),
	malformed = ProtoExpert.new("dmm.expert.malformed", "Malformed (DMM_E_MALFORMED)",
		expert.group.MALFORMED, expert.severity.ERROR),
	align = ProtoExpert.new("dmm.expert.align", "Misaligned option (DMM_E_ALIGN)",
		expert.group.MALFORMED, expert.severity.ERROR),
	unknown = ProtoExpert.new("dmm.expert.unknown", "Unknown to dmm (DMM_E_UNKNOWN)",
		expert.group.UNDECODED, expert.severity.ERROR),
	toomany = ProtoExpert.new("dmm.expert.toomany", "Too many options (DMM_E_TOOMANY)",
		expert.group.MALFORMED, expert.severity.ERROR),
}
dmm.experts = { E.short, E.malformed, E.align, E.unknown, E.toomany }

-- ---- preferences ----
local UDP_PORT = 5436
dmm.prefs.udp_port = Pref.uint("UDP port", UDP_PORT, "UDP port of dmm signalling (RFC 5844's 5436)")
dmm.prefs.fallback = Pref.bool("Hand other MH types to MIPv6", true,
	"Mobility Header types dmm does not use go to Wireshark's MIPv6 dissector")

-- ---- helpers ----
local function band(a, b) return bit32.band(a, b) end

-- Scan the options (bounds-checked, no tree) for what the fixed part needs
-- to know first: XO_FUNC, XO_FLAGS, XO_LIFETIME.
local function prescan(tvb, off, lim)
	local r = {}
	while off < lim do
		local t = tvb(off, 1):uint()
		if t == OPT_PAD1 then
			off = off + 1
		else
			if off + 2 > lim then break end
			local l = tvb(off + 1, 1):uint()
			if off + 2 + l > lim then break end
			if t == OPT_EXP and l >= 1 then
				local sub = tvb(off + 2, 1):uint()
				if sub == XO_FUNC and l == 2 and r.func == nil then
					r.func = tvb(off + 3, 1):uint()
				elseif sub == XO_FLAGS and l == 3 and r.xflags == nil then
					r.xflags = tvb(off + 3, 2):uint()
				elseif sub == XO_LIFETIME and l == 5 and r.life == nil then
					r.life = tvb(off + 3, 4):uint()
				end
			end
			off = off + 2 + l
		end
	end
	return r
end

local function add_flag_bits(item, range, value)
	for _, k in ipairs(fl_bits) do
		if value ~= nil then item:add(f[k], range, value) else item:add(f[k], range) end
	end
end

-- ---- the dissector ----
local mip6_handle -- Wireshark's own MIPv6 dissector, for what is not ours

local function dissect(tvb, pinfo, tree)
	local cap = tvb:len()
	local msglen = tvb:reported_len()
	if cap >= 3 and fixed_len[tvb(2, 1):uint()] == nil and dmm.prefs.fallback and mip6_handle then
		-- Not one of dmm's MH types: Wireshark's own MIPv6 dissector. An
		-- exception in it (a malformed MIPv6 message) is reported here.
		local ok, n = pcall(mip6_handle.call, mip6_handle, tvb, pinfo, tree)
		if ok then return n end
		tree:add(dmm, tvb()):add_proto_expert_info(E.unknown,
			"MH type " .. tvb(2, 1):uint() .. " is not dmm's; Wireshark's MIPv6 dissector found it malformed")
		return cap
	end
	pinfo.cols.protocol = "DMM"
	local root = cap > 0 and tree:add(dmm, tvb()) or tree:add(dmm)
	local errs = {}
	local function err(item, kind, text)
		item:add_proto_expert_info(E[kind], text)
		errs[#errs + 1] = kind
	end
	local info = {}
	local function finish(name)
		local s = name or "DMM"
		if #errs > 0 then s = s .. " [" .. errs[1] .. "]" end
		pinfo.cols.info = s .. (#info > 0 and (" " .. table.concat(info, " ")) or "")
		return cap
	end

	-- header
	if cap < 6 then
		if cap >= 1 then root:add(f.proto, tvb(0, 1)) end
		if cap >= 2 then root:add(f.hlen, tvb(1, 1)) end
		if cap >= 3 then root:add(f.mhtype, tvb(2, 1)) end
		if cap >= 4 then root:add(f.reserved, tvb(3, 1)) end
		if cap >= 5 then root:add(f.checksum, tvb(4, 1)) end
		err(root, "short", string.format("%d bytes, fewer than the 6 of the Mobility Header", cap))
		return finish()
	end
	local proto, hlen, mh = tvb(0, 1):uint(), tvb(1, 1):uint(), tvb(2, 1):uint()
	local total = (hlen + 1) * 8
	local fl = fixed_len[mh]
	local lim = math.min(cap, total) -- bytes dissected
	local body = 6 + (fl or 0)
	local pre = prescan(tvb, body, lim)

	-- the dmm message kind
	local kind
	if mh == MH_BU or mh == MH_BA then
		if pre.func == 1 then kind = mh == MH_BU and MSG.HOA_REQ or MSG.HOA_REP
		elseif pre.func == 2 then kind = mh == MH_BU and MSG.LOC_UPDATE or MSG.LOC_ACK end
	elseif mh == MH_EXP then
		if cap >= 7 then
			local sub = tvb(6, 1):uint()
			kind = ({ MSG.LOC_QUERY, MSG.LOC_REPLY, MSG.LM_FWD, MSG.LM_FWD_REPLY })[sub]
		end
	else
		kind = simple_kind[mh]
	end
	local d = kind and desc[kind]
	local titem
	if kind then
		titem = root:add(f.type, tvb(2, 1), kind)
		titem:set_generated()
		root:append_text(", " .. msg_names[kind])
	end

	local pi = root:add(f.proto, tvb(0, 1))
	if proto ~= 59 then err(pi, "malformed", "payload proto " .. proto .. ", not 59 (no next header)") end
	local hi = root:add(f.hlen, tvb(1, 1))
	hi:append_text(string.format(" (%d bytes)", total))
	if total > MSG_MAX then err(hi, "malformed", string.format("%d bytes, over dmm's %d", total, MSG_MAX)) end
	if msglen < total then
		err(hi, "short", string.format("message has %d bytes, the header length says %d", msglen, total))
	elseif msglen > total then
		err(hi, "malformed", string.format("%d bytes beyond the header length", msglen - total))
	end
	if cap < msglen and cap < total then
		err(root, "short", string.format("only %d of %d bytes captured", cap, math.min(msglen, total)))
	end
	local mi = root:add(f.mhtype, tvb(2, 1))
	root:add(f.reserved, tvb(3, 1))
	root:add(f.checksum, tvb(4, 2))
	if fl == nil then
		err(mi, "unknown", "Mobility Header type " .. mh .. " is not one dmm uses")
		return finish("DMM MH type " .. mh)
	end
	if total < body then
		err(mi, "malformed", string.format("fixed part of %d bytes longer than the %d-byte message", body, total))
		return finish()
	end
	if cap < body then
		err(mi, "short", "fixed part not captured")
		return finish()
	end

	-- fixed part; m collects what dmm_msg_decode would fill in
	local m = { seq = 0, flags = 0, status = 0, code = 0, lifetime = 0, present = 0, n_hnp = 0,
		hnp_len = {}, n_phl = 0, phl_len = {}, n_ver = 0 }
	local flags_item -- dmm.flags when the wire carries it (Exp MH)
	if mh == MH_BU then
		m.seq = tvb(6, 2):uint()
		root:add(f.seq, tvb(6, 2))
		local r = tvb(8, 2)
		local w = r:uint()
		local t = root:add(f.bu_flags, r)
		t:add(f.bu_a, r); t:add(f.bu_p, r); t:add(f.bu_other, r)
		if band(w, 0x0200) == 0 then err(t, "malformed", "P flag not set: a MIPv6 BU, not a dmm PBU") end
		m.flags = 0x2 + (band(w, 0x8000) ~= 0 and 0x1 or 0)
		local u = tvb(10, 2):uint()
		root:add(f.life_units, tvb(10, 2)):append_text(string.format(" (%d s)", u * 4))
		m.lifetime = u * 4
	elseif mh == MH_BA then
		m.status = tvb(6, 1):uint()
		root:add(f.status, tvb(6, 1))
		local r = tvb(7, 1)
		local t = root:add(f.ba_flags, r)
		t:add(f.ba_p, r); t:add(f.ba_other, r)
		if band(r:uint(), 0x20) == 0 then err(t, "malformed", "P flag not set: a MIPv6 BA, not a dmm PBA") end
		m.flags = 0x2
		m.seq = tvb(8, 2):uint()
		root:add(f.seq, tvb(8, 2))
		local u = tvb(10, 2):uint()
		root:add(f.life_units, tvb(10, 2)):append_text(string.format(" (%d s)", u * 4))
		m.lifetime = u * 4
	elseif mh == MH_EXP then
		local si = root:add(f.exp_sub, tvb(6, 1))
		if kind == nil then err(si, "unknown", "Experimental MH sub-type " .. tvb(6, 1):uint() .. " unknown to dmm") end
		m.status = tvb(7, 1):uint()
		root:add(f.status, tvb(7, 1))
		m.seq = tvb(8, 2):uint()
		root:add(f.seq, tvb(8, 2))
		m.flags = tvb(10, 2):uint()
		flags_item = root:add(f.flags, tvb(10, 2))
		add_flag_bits(flags_item, tvb(10, 2))
		if band(m.flags, 0xff00) ~= 0 then err(flags_item, "malformed", "undefined DMM flag bits") end
		m.code = tvb(12, 1):uint()
		local ci = root:add(f.code, tvb(12, 1))
		if kind == MSG.LM_FWD or kind == MSG.LM_FWD_REPLY then
			ci:append_text(" (forwarded: " .. (msg_names[m.code] or "?") .. ")")
		end
		root:add(f.exp_res, tvb(13, 1))
		m.lifetime = tvb(14, 4):uint()
		root:add(f.lifetime, tvb(14, 4))
	else -- HI, HAck, LRI, LRA, UPN, UPA
		m.seq = tvb(6, 2):uint()
		root:add(f.seq, tvb(6, 2))
		local r8, r9 = tvb(8, 1), tvb(9, 1)
		if mh == MH_HI then
			local t = root:add(f.hi_flags, r8)
			t:add(f.hi_s, r8); t:add(f.hi_u, r8); t:add(f.hi_res, r8)
			m.code = r9:uint(); root:add(f.code, r9)
		elseif mh == MH_HACK then
			root:add(f.hack_res, r8)
			m.status = r9:uint(); root:add(f.status, r9)
		elseif mh == MH_LRI then
			root:add(f.lri_res, tvb(8, 2))
		elseif mh == MH_LRA then
			local t = root:add(f.lra_flags, r8)
			t:add(f.lra_u, r8); t:add(f.lra_res, r8)
			m.status = r9:uint(); root:add(f.status, r9)
		elseif mh == MH_UPN then
			local t = root:add(f.upn_flags, r8)
			t:add(f.upn_a, r8); t:add(f.upn_d, r8); t:add(f.upn_res, r8)
			if band(r8:uint(), 0x80) ~= 0 then m.flags = 0x1 end
			m.code = r9:uint(); root:add(f.code, r9):append_text(" (notification reason)")
		else
			root:add(f.upa_res, r8)
			m.status = r9:uint(); root:add(f.status, r9)
		end
		if mh == MH_LRI or mh == MH_LRA then
			m.lifetime = tvb(10, 2):uint()
			root:add(f.life16, tvb(10, 2))
		end
	end
	if pre.xflags ~= nil then m.flags = bit32.bor(m.flags, pre.xflags) end
	if pre.life ~= nil and d and d.life == "opt" then m.lifetime = pre.life end
	-- what dmm makes of the fixed part and options together
	if not flags_item then
		local gi = root:add(f.flags, tvb(6, fl), m.flags)
		gi:set_generated()
		add_flag_bits(gi, tvb(6, fl), m.flags)
	end
	if mh ~= MH_EXP and not (mh == MH_LRI or mh == MH_LRA) then
		root:add(f.lifetime, tvb(6, fl), m.lifetime):set_generated()
	elseif mh == MH_LRI or mh == MH_LRA then
		root:add(f.lifetime, tvb(10, 2), m.lifetime):set_generated()
	end

	-- options
	local st = { seen_xo = {}, nopts = 0, auth = false }
	local off = body
	local function mark(item, bit)
		if band(m.present, bit) ~= 0 then
			err(item, "malformed", p_names[bit] .. " twice")
			return false
		end
		m.present = m.present + bit
		return true
	end
	while off < lim do
		local t = tvb(off, 1):uint()
		local olen = (t == OPT_PAD1) and 1 or (off + 2 <= lim and (2 + tvb(off + 1, 1):uint()) or 1)
		local span = math.min(olen, lim - off)
		local oi = root:add(f.opt, tvb(off, span))
		oi:set_text(opt_names[t] or ("Unknown option " .. t))
		oi:add(f.opt_type, tvb(off, 1))
		if st.auth then err(oi, "malformed", "option after the authenticator (XO_AUTH must be last)") end
		if t == OPT_PAD1 then
			off = off + 1
		elseif off + 2 > lim then
			err(oi, lim < total and "short" or "malformed", "option length past the end of the message")
			break
		else
			local l = tvb(off + 1, 1):uint()
			local li = oi:add(f.opt_len, tvb(off + 1, 1))
			local at = off
			local dat = off + 2
			if dat + l > lim then
				err(li, lim < total and "short" or "malformed",
					string.format("option of %d bytes runs %d bytes past the end", l, dat + l - lim))
				if dat < lim then oi:add(f.opt_data, tvb(dat, lim - dat)) end
				break
			end
			local function wrong_len(want)
				if l ~= want then
					err(li, "malformed", string.format("length %d, dmm expects %d", l, want))
					if l > 0 then oi:add(f.opt_data, tvb(dat, l)) end
					return true
				end
				return false
			end
			if t == OPT_PADN then
				if l > 0 then
					local pdi = oi:add(f.opt_pad, tvb(dat, l))
					for i = 0, l - 1 do
						if tvb(dat + i, 1):uint() ~= 0 then
							err(pdi, "malformed", "non-zero PadN byte"); break
						end
					end
				end
			else
				st.nopts = st.nopts + 1
				if st.nopts > MAX_OPTIONS then
					err(oi, "toomany", string.format("more than %d options", MAX_OPTIONS))
				end
				if t == OPT_MNID then
					if l < 1 then
						err(li, "malformed", "empty MN-ID option")
					else
						local s = tvb(dat, 1):uint()
						oi:add(f.mnid_sub, tvb(dat, 1))
						local n = l - 1
						if n >= 1 then
							oi:add(f.mnid, tvb(dat + 1, n))
							if s == 1 then
								-- the string as text, bytes outside printable ASCII escaped
								local nai = tvb(dat + 1, n):raw():gsub("[^\32-\126]",
									function(c) return string.format("\\x%02x", c:byte()) end)
								oi:add(f.mnid_nai, tvb(dat + 1, n), nai)
							elseif s == 5 and n == 6 then oi:add(f.mnid_eui48, tvb(dat + 1, n))
							elseif s == 6 and n == 8 then oi:add(f.mnid_eui64, tvb(dat + 1, n)) end
						end
						if n < 1 or n > MNID_MAX then
							err(li, "malformed", string.format("identifier of %d bytes (1..%d)", n, MNID_MAX))
						elseif mnid_names[s] == nil then
							err(oi, "unknown", "MN-ID subtype " .. s .. " unknown to dmm")
						elseif (s == 5 and n ~= 6) or (s == 6 and n ~= 8) then
							err(li, "malformed", string.format("%s of %d bytes", mnid_names[s], n))
						end
						if mark(oi, P_MNID) then m.mnid = s .. ":" .. tostring(tvb(dat + 1, math.max(n, 0)):bytes()) end
						oi:append_text(": " .. (mnid_names[s] or tostring(s)) .. " " ..
							(n >= 1 and tostring(tvb(dat + 1, n):bytes()) or ""))
					end
				elseif t == OPT_HNP then
					if not wrong_len(18) then
						oi:add(f.hnp_res, tvb(dat, 1))
						local pli = oi:add(f.hnp_plen, tvb(dat + 1, 1))
						oi:add(f.hnp, tvb(dat + 2, 16))
						local plen = tvb(dat + 1, 1):uint()
						oi:append_text(": " .. tostring(tvb(dat + 2, 16):ipv6()) .. "/" .. plen)
						if at % 8 ~= 4 then err(oi, "align", string.format("HNP at %d, not 8n+4", at)) end
						if m.n_hnp >= MAX_HNP then err(oi, "toomany", string.format("more than %d HNPs", MAX_HNP)) end
						if plen > 128 then err(pli, "malformed", "prefix length over 128") end
						m.n_hnp = m.n_hnp + 1
						m.hnp_len[m.n_hnp] = plen
						if band(m.present, P_HNP) == 0 then m.present = m.present + P_HNP end
					end
				elseif t == OPT_HI then
					if not wrong_len(2) then
						oi:add(f.hi_ores, tvb(dat, 1))
						local hv = oi:add(f.handoff, tvb(dat + 1, 1))
						oi:append_text(": " .. tvb(dat + 1, 1):uint())
						if tvb(dat + 1, 1):uint() == 0 then err(hv, "malformed", "handoff indicator 0") end
						mark(oi, P_HANDOFF)
					end
				elseif t == OPT_TS then
					if not wrong_len(8) then
						local ts = tvb(dat, 8):uint64()
						oi:add(f.ts, tvb(dat, 8))
						local secs = ts:rshift(16):tonumber()
						local frac = ts:band(UInt64(0xffff)):tonumber()
						oi:add(f.ts_time, tvb(dat, 8), NSTime.new(secs, math.floor(frac * 1e9 / 65536))):set_generated()
						if at % 8 ~= 2 then err(oi, "align", string.format("Timestamp at %d, not 8n+2", at)) end
						mark(oi, P_TIMESTAMP)
					end
				elseif t == OPT_MAG then
					if not wrong_len(18) then
						oi:add(f.mag_res, tvb(dat, 1))
						local ali = oi:add(f.mag_plen, tvb(dat + 1, 1))
						oi:add(f.location, tvb(dat + 2, 16))
						oi:append_text(": " .. tostring(tvb(dat + 2, 16):ipv6()))
						if tvb(dat + 1, 1):uint() ~= 128 then err(ali, "malformed", "address length not 128") end
						mark(oi, P_LOCATION)
					end
				elseif t == OPT_EXP then
					if l < 1 then
						err(li, "malformed", "empty experimental option")
					else
						local sub = tvb(dat, 1):uint()
						local si = oi:add(f.xo_sub, tvb(dat, 1))
						local x = dat + 1
						local n = l - 1
						oi:set_text("DMM option " .. (xo_names[sub] or ("sub-type " .. sub)))
						if xo_len[sub] == nil then
							err(si, "unknown", "DMM option sub-type " .. sub .. " unknown to dmm")
							if n > 0 then oi:add(f.xo_data, tvb(x, n)) end
						elseif n ~= xo_len[sub] then
							err(li, "malformed", string.format("%s with %d data bytes, dmm expects %d",
								xo_names[sub], n, xo_len[sub]))
							if n > 0 then oi:add(f.xo_data, tvb(x, n)) end
						else
							local function once()
								if st.seen_xo[sub] then err(oi, "malformed", xo_names[sub] .. " twice"); return end
								st.seen_xo[sub] = true
							end
							if sub == XO_FUNC then
								once()
								local fi = oi:add(f.func, tvb(x, 1))
								local v = tvb(x, 1):uint()
								oi:append_text(": " .. (func_names[v] or tostring(v)))
								if mh ~= MH_BU and mh ~= MH_BA then
									err(fi, "malformed", "XO_FUNC on a type other than PBU/PBA")
								elseif v == 0 then
									err(fi, "malformed", "function 0")
								elseif v > 2 then
									err(fi, "unknown", "function " .. v .. " unknown to dmm")
								end
							elseif sub == XO_FLAGS then
								once()
								local xr = tvb(x, 2)
								local xi = oi:add(f.xflags, xr)
								add_flag_bits(xi, xr)
								local v = xr:uint()
								if v == 0 or band(v, 0xff00) ~= 0 then
									err(xi, "malformed", "XO_FLAGS zero or with undefined bits")
								end
								if d and d.wire == F_ALL then
									err(xi, "malformed", "XO_FLAGS on a type whose header has every flag")
								end
							elseif sub == XO_PREV or sub == XO_HOME or sub == XO_TARGET then
								local fld = sub == XO_PREV and f.prev or sub == XO_HOME and f.home or f.target
								local bitv = sub == XO_PREV and P_PREV or sub == XO_HOME and P_HOME or P_TARGET
								oi:add(fld, tvb(x, 16))
								oi:append_text(": " .. tostring(tvb(x, 16):ipv6()))
								mark(oi, bitv)
							elseif sub == XO_ORIGIN then
								oi:add(f.origin_seq, tvb(x, 2))
								oi:add(f.origin, tvb(x + 2, 16))
								oi:append_text(": " .. tostring(tvb(x + 2, 16):ipv6()) .. " seq " .. tvb(x, 2):uint())
								mark(oi, P_ORIGIN)
							elseif sub == XO_LIFETIME then
								once()
								local lfi = oi:add(f.opt_life, tvb(x, 4))
								oi:append_text(": " .. tvb(x, 4):uint() .. " s")
								if d and d.life ~= "opt" then
									err(lfi, "malformed", "XO_LIFETIME on a type with a lifetime field")
								end
							elseif sub == XO_PHL then
								-- repeatable, the i-th for the i-th HNP
								local pli = oi:add(f.phl_plen, tvb(x, 1))
								oi:add(f.phl, tvb(x + 1, 16))
								local plen = tvb(x, 1):uint()
								oi:append_text(": " .. tostring(tvb(x + 1, 16):ipv6()) .. "/" .. plen)
								if m.n_phl >= MAX_HNP then
									err(oi, "toomany", string.format("more than %d XO_PHL", MAX_HNP))
								end
								if plen > 128 then err(pli, "malformed", "prefix length over 128") end
								m.n_phl = m.n_phl + 1
								m.phl_len[m.n_phl] = plen
								if band(m.present, P_PHL) == 0 then m.present = m.present + P_PHL end
							elseif sub == XO_VER then
								-- repeatable, the i-th for the i-th HNP
								oi:add(f.ver, tvb(x, 2))
								oi:append_text(": " .. tvb(x, 2):uint())
								if m.n_ver >= MAX_HNP then
									err(oi, "toomany", string.format("more than %d XO_VER", MAX_HNP))
								end
								m.n_ver = m.n_ver + 1
								if band(m.present, P_VER) == 0 then m.present = m.present + P_VER end
							elseif sub == XO_AUTH then
								oi:add(f.keyid, tvb(x, 4))
								oi:add(f.mac, tvb(x + 4, 32))
								oi:append_text(string.format(": key 0x%08x", tvb(x, 4):uint()))
								mark(oi, P_AUTH)
								st.auth = true
							end
						end
					end
				else
					if l > 0 then oi:add(f.opt_data, tvb(dat, l)) end
				end
			end
			off = dat + l
		end
	end

	-- the message as a whole (dec_check, fields_ok, mandatory_ok)
	if d then
		if band(m.present, bit32.bnot(d.allowed + P_AUTH)) ~= 0 then
			for bitv, name in pairs(p_names) do
				if band(m.present, bitv) ~= 0 and band(d.allowed + P_AUTH, bitv) == 0 then
					err(titem, "malformed", name .. " not carried by " .. msg_names[kind])
				end
			end
		end
		local p = m.present
		local by_id = band(m.flags, 0x10) ~= 0
		local need
		if kind == MSG.HOA_REQ then need = band(p, P_MNID) ~= 0 and true or "MN-ID"
		elseif kind == MSG.LOC_UPDATE then
			need = band(p, by_id and P_MNID or P_HNP) ~= 0 and true or (by_id and "MN-ID" or "HNP")
		elseif kind == MSG.LOC_QUERY then
			need = band(p, by_id and P_MNID or P_TARGET) ~= 0 and true or (by_id and "MN-ID" or "XO_TARGET")
		elseif kind == MSG.CTX_REQ then need = band(p, P_MNID + P_HNP) ~= 0 and true or "MN-ID or HNP"
		elseif kind == MSG.REDIRECT then
			need = (band(p, P_HNP) ~= 0 and band(p, P_LOCATION) ~= 0) and true or "HNP and MAG address"
		elseif kind == MSG.LM_NOTIFY then need = band(p, P_HNP) ~= 0 and true or "HNP"
		elseif kind == MSG.LM_FWD then need = band(p, P_ORIGIN) ~= 0 and true or "XO_ORIGIN" end
		if need ~= nil and need ~= true then
			err(titem, "malformed", msg_names[kind] .. " without its mandatory " .. need)
		end
		if band(p, P_PHL) ~= 0 then
			if band(p, P_HNP) == 0 then
				err(titem, "malformed", "XO_PHL without HNP")
			elseif m.n_phl > m.n_hnp then
				err(titem, "malformed", "more XO_PHL than HNP")
			else
				for i = 1, m.n_phl do
					if m.phl_len[i] ~= 0 and m.phl_len[i] ~= m.hnp_len[i] then
						err(titem, "malformed", string.format("XO_PHL %d is /%d, its HNP /%d",
							i, m.phl_len[i], m.hnp_len[i]))
					end
				end
			end
		end
		if band(p, P_VER) ~= 0 then
			if band(p, P_HNP) == 0 then
				err(titem, "malformed", "XO_VER without HNP")
			elseif m.n_ver > m.n_hnp then
				err(titem, "malformed", "more XO_VER than HNP")
			end
		end
		if kind == MSG.LM_FWD and (m.code == 0 or m.code > 14) then
			err(titem, "malformed", "LM_FWD code " .. m.code .. " names no dmm request")
		elseif kind == MSG.LM_FWD_REPLY and m.code > 14 then
			err(titem, "malformed", "LM_FWD_REPLY code " .. m.code .. " names no dmm message")
		end
	elseif (mh == MH_BU or mh == MH_BA) then
		if pre.func == nil then
			err(mi, "malformed", "PBU/PBA without XO_FUNC")
		else
			err(mi, "unknown", "XO_FUNC " .. pre.func .. " unknown to dmm")
		end
	end

	info[#info + 1] = "seq=" .. m.seq
	if m.status ~= 0 then info[#info + 1] = "status=" .. m.status end
	if m.code ~= 0 then info[#info + 1] = "code=" .. m.code end
	if m.lifetime ~= 0 then info[#info + 1] = "lifetime=" .. m.lifetime end
	return finish(kind and ("DMM " .. msg_names[kind]:upper():gsub("-", "_")) or
		("DMM " .. (mh_names[mh] or ("MH " .. mh))))
end

function dmm.dissector(tvb, pinfo, tree)
	return dissect(tvb, pinfo, tree)
end

-- ---- registration ----
local ip_proto = DissectorTable.get("ip.proto")
local udp_port = DissectorTable.get("udp.port")
mip6_handle = ip_proto:get_dissector(135)
if mip6_handle == nil then
	local ok, h = pcall(Dissector.get, "mip6")
	if ok then mip6_handle = h end
end
ip_proto:add(135, dmm)
udp_port:add(UDP_PORT, dmm)

function dmm.prefs_changed()
	if dmm.prefs.udp_port ~= UDP_PORT then
		if mip6_handle then udp_port:add(UDP_PORT, mip6_handle) else udp_port:remove(UDP_PORT, dmm) end
		UDP_PORT = dmm.prefs.udp_port
		udp_port:add(UDP_PORT, dmm)
	end
end
