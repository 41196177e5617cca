#!/usr/bin/python3
"""Test-only MongoDB wire-protocol server backed by mongomock (in-memory).

Usage:  /usr/bin/python3 mongo_wire_server.py --host 127.0.0.1 --port 0 [--verbose]
Prints exactly one line ``listening <host>:<port>`` on stdout once bound, logs
only to stderr, and exits on stdin EOF (``--ignore-stdin`` disables that), on
SIGTERM and on SIGINT. ``--port N`` (N > 0) binds exactly that port with
SO_REUSEADDR, so a restarted server can take over the port of a killed one.
Needs Debian's python3-mongomock (4.1.2) and python3-pymongo (3.11, for bson).

Speaks as a standalone MongoDB 7.0 (maxWireVersion 21; no setName, so no
transactions or retryable writes; no auth; no compression; no topologyVersion,
so drivers poll with plain hello).  Wire: OP_QUERY (legacy hello and any
``db.$cmd`` command, answered with OP_REPLY) and OP_MSG (kind 0 body, kind 1
document sequences, checksum flag, moreToCome = no reply).  One global lock
serialises all commands, so every command (incl. findAndModify) is atomic.

Commands: hello/isMaster, buildInfo, ping, getLastError, endSessions,
connectionStatus, listDatabases, listCollections, create, drop, dropDatabase,
renameCollection, find, getMore, killCursors, insert, update (operator,
replacement and pipeline updates; upsert; multi), delete, findAndModify,
count, distinct, aggregate, createIndexes, listIndexes, dropIndexes.
Anything else -> {ok: 0, code: 59, codeName: CommandNotFound}.

Semantics and limits:
* Query/update/aggregation semantics are mongomock's; what it does not
  implement (arrayFilters, collation, $merge, some operators, text/geo
  indexes...) returns an error (code 2) instead of a result.
* Unique indexes (incl. compound, sparse, partialFilterExpression) are enforced
  by this file, with MongoDB's E11000 message, keyPattern and keyValue.
  Other index types are accepted but only stored (TTL expiry is mongomock's).
* Cursors are snapshots taken when find/aggregate runs; batches honour
  batchSize (default first batch 101) and a 16 MiB cap; idle cursors are
  dropped after 30 minutes.
* BSON types round-trip: int32/int64 (bson Int64), double, Decimal128 (held as
  decimal.Decimal internally so it compares, sorts and $inc's numerically),
  datetimes (naive UTC, millisecond), binary subtypes, key order.
  $inc, $mul and $group's $sum follow MongoDB's type promotion (int32 -> int64
  on overflow, etc.); other aggregation arithmetic mixing Decimal128 and
  double may fail.
* Field names containing '.' or starting with '$' are rejected (code 2),
  unlike MongoDB 5+.  Embedded-document equality in queries ignores key order,
  and true == 1 in queries (Python semantics).  Write concern, read concern,
  sessions, hint, collation, comment and maxTimeMS are accepted and ignored.
* Every query scans the collection (mongomock has no indexes): fine for
  thousands of documents, not for millions.  Inserts check unique indexes
  through a hash map, so they stay fast.
"""
import argparse
import datetime
import decimal
import itertools
import os
import random
import signal
import socket
import struct
import sys
import threading
import time
import traceback

import bson
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions, TypeDecoder, TypeRegistry
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.raw_bson import RawBSONDocument

import mongomock
from mongomock import aggregate as mm_aggregate
from mongomock import collection as mm_collection
from mongomock import filtering as mm_filtering
from mongomock import helpers as mm_helpers
from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError

OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
MAX_BSON = 16 * 1024 * 1024
MAX_MESSAGE = 48000000
DEFAULT_FIRST_BATCH = 101
CURSOR_IDLE_SECONDS = 30 * 60
VERBOSE = False


def log(msg):
    sys.stderr.write('[mongo-emu] %s\n' % msg)
    sys.stderr.flush()


# --------------------------------------------------------------------------
# BSON codec: Decimal128 <-> decimal.Decimal, binaries stay Binary, naive UTC.
class _DecimalDecoder(TypeDecoder):
    bson_type = Decimal128

    def transform_bson(self, value):
        return value.to_decimal()


def _fallback_encoder(value):
    if isinstance(value, decimal.Decimal):
        return Decimal128(value)
    return value


CODEC = CodecOptions(document_class=dict, tz_aware=False,
                     uuid_representation=UuidRepresentation.UNSPECIFIED,
                     type_registry=TypeRegistry([_DecimalDecoder()],
                                                fallback_encoder=_fallback_encoder))
DEC_CTX = decimal.Context(prec=34)


def encode(doc):
    return bson.encode(doc, codec_options=CODEC)


def decode(data):
    return bson.decode(data, codec_options=CODEC)


# --------------------------------------------------------------------------
# mongomock patches
class _BsonShim(object):
    """mongomock validates documents with BSON.encode(...); use our codec."""

    @staticmethod
    def encode(doc, check_keys=False, *args, **kwargs):
        return bson.encode(doc, check_keys=check_keys, codec_options=CODEC)


mm_collection.BSON = _BsonShim

_INT32_MIN, _INT32_MAX = -2 ** 31, 2 ** 31 - 1
_INT64_MIN, _INT64_MAX = -2 ** 63, 2 ** 63 - 1


def _is_number(v):
    return isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)


def _arith(a, b, op):
    """MongoDB numeric type promotion for $inc / $mul."""
    if not (_is_number(a) and _is_number(b)):
        raise mongomock.WriteError(
            'Cannot apply %s to a value of non-numeric type' % op, 14)
    if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
        a, b = decimal.Decimal(a), decimal.Decimal(b)
        return DEC_CTX.add(a, b) if op == '$inc' else DEC_CTX.multiply(a, b)
    if isinstance(a, float) or isinstance(b, float):
        return float(a) + float(b) if op == '$inc' else float(a) * float(b)
    r = a + b if op == '$inc' else a * b
    if isinstance(a, Int64) or isinstance(b, Int64) or not _INT32_MIN <= r <= _INT32_MAX:
        if not _INT64_MIN <= r <= _INT64_MAX:
            raise mongomock.WriteError('Integer overflow in %s' % op, 2)
        return Int64(r)
    return int(r)


def _make_arith_updater(op):
    def updater(doc, field_name, value):
        if isinstance(doc, dict):
            doc[field_name] = _arith(doc.get(field_name, 0), value, op)
        elif isinstance(doc, list):
            i = int(field_name)
            while len(doc) <= i:
                doc.append(None)
            doc[i] = _arith(0 if doc[i] is None else doc[i], value, op)
    return updater


mm_collection._updaters['$inc'] = _make_arith_updater('$inc')
mm_collection._updaters['$mul'] = _make_arith_updater('$mul')



def _sum_operation(values):
    """$group $sum with MongoDB's result type (int32 -> int64 -> double -> decimal)."""
    total = 0
    for v in values:
        if isinstance(v, Decimal128):
            v = v.to_decimal()
        if _is_number(v):
            total = _arith(total, v, '$inc')
    return total


mm_aggregate._GROUPING_OPERATOR_MAP['$sum'] = _sum_operation

mm_filtering.TYPE_MAP.update({
    'int': lambda v: isinstance(v, int) and not isinstance(v, (bool, Int64)),
    'long': lambda v: isinstance(v, Int64),
    'decimal': lambda v: isinstance(v, (decimal.Decimal, Decimal128)),
    'number': lambda v: _is_number(v) or isinstance(v, Decimal128),
})

_NOTHING = object()


def _index_value(doc, path):
    try:
        return mm_helpers.get_value_by_dot(doc, path)
    except (KeyError, IndexError, TypeError, AttributeError):
        return _NOTHING


def _norm(v):
    """Hashable key with MongoDB equality (1 == 1.0 == Decimal(1), true != 1)."""
    if v is None or v is _NOTHING:
        return ('null',)
    if isinstance(v, bool):
        return ('bool', v)
    if _is_number(v):
        return ('num', v)
    if isinstance(v, dict):
        return ('doc', tuple((k, _norm(x)) for k, x in v.items()))
    if isinstance(v, list):
        return ('arr', tuple(_norm(x) for x in v))
    try:
        hash(v)
        return (type(v).__name__, v)
    except TypeError:
        return ('repr', repr(v))


def _index_keys(doc, fields):
    """Set of index keys of doc (an array field contributes one key per element)."""
    per_field = []
    for f in fields:
        v = _index_value(doc, f)
        if isinstance(v, list):
            per_field.append([_norm(x) for x in v] or [('undefined',)])
        else:
            per_field.append([_norm(v)])
    return set(itertools.product(*per_field))


def _fmt(v):
    """Value formatting as in MongoDB's 'dup key: { ... }' messages."""
    if v is None or v is _NOTHING:
        return 'null'
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, str):
        return '"%s"' % v.replace('\\', '\\\\').replace('"', '\\"')
    if isinstance(v, ObjectId):
        return "ObjectId('%s')" % v
    if isinstance(v, datetime.datetime):
        ms = int((v.replace(tzinfo=None) - datetime.datetime(1970, 1, 1)).total_seconds() * 1000)
        return 'new Date(%d)' % ms
    if isinstance(v, decimal.Decimal):
        return 'Decimal128("%s")' % v
    if isinstance(v, dict):
        return '{ %s }' % ', '.join('%s: %s' % (k, _fmt(x)) for k, x in v.items()) if v else '{}'
    if isinstance(v, list):
        return '[ %s ]' % ', '.join(_fmt(x) for x in v) if v else '[]'
    return str(v)


def dup_key_error(ns, index_name, key_spec, doc):
    key_pattern = dict(key_spec)
    key_value = {}
    for f in key_pattern:
        v = _index_value(doc, f)
        key_value[f] = None if v is _NOTHING else v
    msg = 'E11000 duplicate key error collection: %s index: %s dup key: { %s }' % (
        ns, index_name, ', '.join('%s: %s' % (k, _fmt(v)) for k, v in key_value.items()))
    return DuplicateKeyError(msg, 11000, {'keyPattern': key_pattern, 'keyValue': key_value})


def _unique_keys(index, doc):
    """Index keys of doc for a unique index (empty set when sparse/partial skip it)."""
    fields = [k for k, _ in index['key']]
    if index.get('sparse') and all(_index_value(doc, f) is _NOTHING for f in fields):
        return set()
    pfe = index.get('partialFilterExpression')
    if pfe is not None and not mm_filtering.filter_applies(pfe, doc):
        return set()
    return _index_keys(doc, fields)


def _store_key(doc):
    _id = doc.get('_id')
    return mm_helpers.hashdict(_id) if isinstance(_id, dict) else _id


class UniqueCache(object):
    """Per-collection {index: {key: store key}} maps, so inserts check uniqueness in O(1).

    Only inserts use and extend the maps.  Any other write command bumps
    `generation`, which makes the next insert rebuild them with one scan.  A hit
    is confirmed against the store (TTL expiry can delete documents silently).
    """
    generation = 0
    insert_mode = False
    _maps = {}

    @classmethod
    def check(cls, coll, new_data):
        store = coll._store
        entry = cls._maps.get(id(store))
        if entry is None or entry[0] != cls.generation or entry[1] is not store:
            maps = {}
            for name, index in store.indexes.items():
                if index.get('unique'):
                    m = maps[name] = {}
                    for doc in store.documents:
                        if doc is not new_data:
                            for k in _unique_keys(index, doc):
                                m[k] = _store_key(doc)
            entry = cls._maps[id(store)] = (cls.generation, store, maps)
        maps, own = entry[2], _store_key(new_data)
        new_keys = {}
        for name, index in store.indexes.items():
            if not index.get('unique'):
                continue
            keys = new_keys[name] = _unique_keys(index, new_data)
            m = maps.setdefault(name, {})
            for k in keys:
                holder = m.get(k, _NOTHING)
                if holder is not _NOTHING and holder != own and holder in store._documents \
                        and k in _unique_keys(index, store._documents[holder]):
                    raise dup_key_error(coll.full_name, name, index['key'], new_data)
        for name, keys in new_keys.items():
            for k in keys:
                maps[name][k] = own


def _ensure_uniques(self, new_data):
    """Replacement for mongomock's check (new_data is already in the store)."""
    if UniqueCache.insert_mode:
        return UniqueCache.check(self, new_data)
    for name, index in list(self._store.indexes.items()):
        if not index.get('unique'):
            continue
        keys = _unique_keys(index, new_data)
        if not keys:
            continue
        own = _store_key(new_data)
        for other in self._store.documents:
            if other is not new_data and _store_key(other) != own and keys & _unique_keys(index, other):
                raise dup_key_error(self.full_name, name, index['key'], new_data)


mm_collection.Collection._ensure_uniques = _ensure_uniques


# --------------------------------------------------------------------------
class CommandError(Exception):
    def __init__(self, msg, code=2, extra=None):
        Exception.__init__(self, msg)
        self.code = code
        self.extra = extra or {}


UPDATE_OPERATORS = {'$set', '$unset', '$inc', '$mul', '$min', '$max', '$rename', '$setOnInsert',
                    '$currentDate', '$addToSet', '$pop', '$pull', '$pullAll', '$push'}  # no $bit

READ_ONLY_COMMANDS = {'insert', 'find', 'getmore', 'killcursors', 'count', 'distinct', 'listindexes',
                      'listcollections', 'listdatabases', 'ping', 'buildinfo', 'getlasterror',
                      'endsessions', 'connectionstatus'}  # 'insert' keeps UniqueCache valid itself

CODE_NAMES = {
    2: 'BadValue', 9: 'FailedToParse', 14: 'TypeMismatch', 26: 'NamespaceNotFound',
    27: 'IndexNotFound', 43: 'CursorNotFound', 48: 'NamespaceExists',
    52: 'DollarPrefixedFieldName', 59: 'CommandNotFound', 66: 'ImmutableField',
    67: 'CannotCreateIndex', 72: 'InvalidOptions', 85: 'IndexOptionsConflict',
    86: 'IndexKeySpecsConflict', 115: 'CommandNotSupported', 11000: 'DuplicateKey',
}


def error_info(exc):
    """(code, errmsg, extra fields) for any exception raised while executing."""
    if isinstance(exc, CommandError):
        return exc.code, str(exc), exc.extra
    if isinstance(exc, DuplicateKeyError):
        details = exc.details if isinstance(exc.details, dict) else {}
        extra = {k: details[k] for k in ('keyPattern', 'keyValue') if k in details}
        return 11000, str(exc).split(', full error: ')[0], extra
    msg = str(exc).split(', full error: ')[0] or exc.__class__.__name__
    if isinstance(exc, NotImplementedError):
        return 2, 'not supported by the mongomock emulator: ' + msg, {}
    code = getattr(exc, 'code', None)
    if isinstance(exc, OperationFailure) and isinstance(code, int) and code > 0:
        return code, msg, {}
    if "(immutable) field '_id'" in msg or 'The _id field cannot be changed' in msg:
        return 66, msg, {}
    return 2, msg, {}


def error_reply(code, msg, extra=None):
    reply = {'ok': 0.0, 'errmsg': msg, 'code': code, 'codeName': CODE_NAMES.get(code, 'UnknownError')}
    reply.update(extra or {})
    return reply


def write_error(index, exc):
    code, msg, extra = error_info(exc)
    err = {'index': index, 'code': code}
    err.update(extra)
    err['errmsg'] = msg
    return err


# --------------------------------------------------------------------------
class Server(object):
    def __init__(self):
        self.lock = threading.RLock()
        self.client = mongomock.MongoClient()
        self.cursors = {}
        self.cursor_ids = itertools.count(random.randint(1 << 40, 1 << 50))
        self.conn_ids = itertools.count(1)

    # ---- helpers ------------------------------------------------------------
    def coll(self, db, cmd, name_key):
        name = cmd.get(name_key)
        if not isinstance(name, str) or not name:
            raise CommandError('collection name has invalid type %s' % type(name).__name__, 2)
        return self.client[db][name]

    def coll_exists(self, coll):
        return coll.name in coll.database.list_collection_names()

    def make_cursor(self, ns, docs, first_batch_size, single_batch=False):
        raws = [RawBSONDocument(encode(d)) for d in docs]
        batch, rest = self.take(raws, first_batch_size)
        cursor_id = 0
        if rest and not single_batch:
            cursor_id = next(self.cursor_ids)
            self.cursors[cursor_id] = {'ns': ns, 'docs': rest, 'used': time.time()}
        self.expire_cursors()
        return {'cursor': {'firstBatch': batch, 'id': Int64(cursor_id), 'ns': ns}, 'ok': 1.0}

    @staticmethod
    def take(raws, batch_size):
        """Split off one batch; batch_size None = as many as fit in 16 MiB."""
        limit = len(raws) if batch_size is None else batch_size
        size, n = 0, 0
        while n < limit and n < len(raws):
            size += len(raws[n].raw)
            if n > 0 and size > MAX_BSON:
                break
            n += 1
        return raws[:n], raws[n:]

    def expire_cursors(self):
        now = time.time()
        for cid in [c for c, v in self.cursors.items() if now - v['used'] > CURSOR_IDLE_SECONDS]:
            del self.cursors[cid]

    @staticmethod
    def batch_size(value, default):
        if value is None:
            return default
        value = int(value)
        if value < 0:
            raise CommandError('batchSize must be non-negative', 2)
        return value

    # ---- dispatch -------------------------------------------------------------
    def handle(self, cmd, conn_id):
        """Run one command document; returns the reply document."""
        if not cmd:
            return error_reply(59, 'empty command', {})
        name = next(iter(cmd))
        db = cmd.get('$db', 'admin')
        if VERBOSE:
            shown = {k: v for k, v in cmd.items() if k not in ('lsid', '$db', '$clusterTime')}
            log('conn%d %s: %s' % (conn_id, db, str(shown)[:1000]))
        lname = name.lower()
        if lname in ('hello', 'ismaster'):
            return self.hello(conn_id)
        handler = getattr(self, 'cmd_' + lname, None)
        if handler is None:
            return error_reply(59, "no such command: '%s'" % name)
        try:
            with self.lock:
                if lname not in READ_ONLY_COMMANDS:
                    UniqueCache.generation += 1
                return handler(db, cmd)
        except Exception as exc:  # never kill the connection on a bad command
            code, msg, extra = error_info(exc)
            if VERBOSE or not isinstance(exc, (PyMongoError, CommandError, ValueError,
                                               NotImplementedError, TypeError, KeyError)):
                log('command %s failed: %s' % (name, traceback.format_exc()))
            return error_reply(code, msg, extra)

    def hello(self, conn_id):
        now = datetime.datetime.utcnow()
        return {
            'helloOk': True, 'ismaster': True, 'isWritablePrimary': True,
            'maxBsonObjectSize': MAX_BSON, 'maxMessageSizeBytes': MAX_MESSAGE,
            'maxWriteBatchSize': 100000,
            'localTime': now.replace(microsecond=now.microsecond // 1000 * 1000),
            'logicalSessionTimeoutMinutes': 30, 'connectionId': conn_id,
            'minWireVersion': 0, 'maxWireVersion': 21, 'readOnly': False, 'ok': 1.0,
        }

    # ---- simple commands --------------------------------------------------------
    def cmd_buildinfo(self, db, cmd):
        return {'version': '7.0.0', 'gitVersion': 'mongomock-emulator', 'versionArray': [7, 0, 0, 0],
                'bits': 64, 'debug': False, 'maxBsonObjectSize': MAX_BSON,
                'storageEngines': ['memory'], 'modules': [], 'ok': 1.0}

    def cmd_ping(self, db, cmd):
        return {'ok': 1.0}

    def cmd_getlasterror(self, db, cmd):
        return {'n': 0, 'err': None, 'ok': 1.0}

    def cmd_endsessions(self, db, cmd):
        return {'ok': 1.0}

    def cmd_connectionstatus(self, db, cmd):
        return {'authInfo': {'authenticatedUsers': [], 'authenticatedUserRoles': []}, 'ok': 1.0}

    def cmd_listdatabases(self, db, cmd):
        dbs = []
        for name in self.client.list_database_names():
            entry = {'name': name, 'sizeOnDisk': 0, 'empty': False}
            if cmd.get('filter') and not mm_filtering.filter_applies(cmd['filter'], entry):
                continue
            dbs.append({'name': name} if cmd.get('nameOnly') else entry)
        return {'databases': dbs, 'totalSize': 0, 'totalSizeMb': 0, 'ok': 1.0}

    def cmd_listcollections(self, db, cmd):
        out = []
        for name in sorted(self.client[db].list_collection_names()):
            entry = {'name': name, 'type': 'collection', 'options': {},
                     'info': {'readOnly': False},
                     'idIndex': {'v': 2, 'key': {'_id': 1}, 'name': '_id_'}}
            if cmd.get('filter') and not mm_filtering.filter_applies(cmd['filter'], entry):
                continue
            out.append({'name': name, 'type': 'collection'} if cmd.get('nameOnly') else entry)
        bs = self.batch_size((cmd.get('cursor') or {}).get('batchSize'), None)
        return self.make_cursor(db + '.$cmd.listCollections', out, bs)

    def cmd_create(self, db, cmd):
        coll = self.coll(db, cmd, 'create')
        coll._store.create()  # idempotent like MongoDB 7 (options are ignored)
        return {'ok': 1.0}

    def cmd_drop(self, db, cmd):
        coll = self.coll(db, cmd, 'drop')
        n = len(coll._store.indexes) + 1 if self.coll_exists(coll) else 0
        coll.database.drop_collection(coll.name)
        return {'ns': coll.full_name, 'nIndexesWas': n, 'ok': 1.0}

    def cmd_dropdatabase(self, db, cmd):
        self.client.drop_database(db)
        return {'dropped': db, 'ok': 1.0}

    def cmd_renamecollection(self, db, cmd):
        src, dst = cmd['renameCollection'], cmd['to']
        sdb, sname = src.split('.', 1)
        ddb, dname = dst.split('.', 1)
        if sdb != ddb:
            raise CommandError('renameCollection across databases is not supported', 2)
        self.client[sdb].rename_collection(sname, dname, dropTarget=bool(cmd.get('dropTarget')))
        return {'ok': 1.0}

    # ---- cursors --------------------------------------------------------------
    def cmd_find(self, db, cmd):
        coll = self.coll(db, cmd, 'find')
        sort = cmd.get('sort') or None
        if sort is not None:
            sort = [(k, v) for k, v in sort.items()]
            for k, v in sort:
                if isinstance(v, dict):
                    raise CommandError('sort by %s is not supported by the emulator' % v, 2)
        projection = dict(cmd['projection']) if cmd.get('projection') else None
        skip = int(cmd.get('skip') or 0)
        limit = int(cmd.get('limit') or 0)
        single = bool(cmd.get('singleBatch')) or limit < 0
        limit = abs(limit)
        docs = list(coll.find(cmd.get('filter') or {}, projection=projection,
                              skip=skip, limit=limit, sort=sort))
        bs = self.batch_size(cmd.get('batchSize'), DEFAULT_FIRST_BATCH)
        return self.make_cursor(coll.full_name, docs, bs, single)

    def cmd_getmore(self, db, cmd):
        cid = int(cmd['getMore'])
        cur = self.cursors.get(cid)
        if cur is None:
            raise CommandError('cursor id %d not found' % cid, 43)
        batch, rest = self.take(cur['docs'], self.batch_size(cmd.get('batchSize'), 0) or None)
        if rest:
            cur['docs'], cur['used'] = rest, time.time()
        else:
            del self.cursors[cid]
            cid = 0
        return {'cursor': {'nextBatch': batch, 'id': Int64(cid), 'ns': cur['ns']}, 'ok': 1.0}

    def cmd_killcursors(self, db, cmd):
        killed, not_found = [], []
        for cid in cmd.get('cursors') or []:
            (killed if self.cursors.pop(int(cid), None) is not None else not_found).append(Int64(cid))
        return {'cursorsKilled': killed, 'cursorsNotFound': not_found, 'cursorsAlive': [],
                'cursorsUnknown': [], 'ok': 1.0}

    def cmd_aggregate(self, db, cmd):
        if not isinstance(cmd.get('aggregate'), str):
            raise CommandError('database-level aggregate is not supported by the emulator', 2)
        if cmd.get('explain'):
            raise CommandError('explain is not supported by the emulator', 2)
        coll = self.coll(db, cmd, 'aggregate')
        pipeline = translate_pipeline(cmd.get('pipeline') or [])
        docs = list(coll.aggregate(pipeline))
        for stage in pipeline:  # $out creates/replaces a collection
            if isinstance(stage.get('$out'), str):
                coll.database[stage['$out']]._store.create()
        bs = self.batch_size((cmd.get('cursor') or {}).get('batchSize'), DEFAULT_FIRST_BATCH)
        return self.make_cursor(coll.full_name, docs, bs)

    def cmd_count(self, db, cmd):
        coll = self.coll(db, cmd, 'count')
        skip, limit = int(cmd.get('skip') or 0), abs(int(cmd.get('limit') or 0))
        n = len(list(coll.find(cmd.get('query') or {}, projection={'_id': 1},
                               skip=skip, limit=limit)))
        return {'n': n, 'ok': 1.0}

    def cmd_distinct(self, db, cmd):
        coll = self.coll(db, cmd, 'distinct')
        return {'values': list(coll.distinct(cmd['key'], cmd.get('query') or {})), 'ok': 1.0}

    # ---- writes ---------------------------------------------------------------
    def cmd_insert(self, db, cmd):
        coll = self.coll(db, cmd, 'insert')
        coll._store.create()
        ordered = cmd.get('ordered', True)
        errors = []
        UniqueCache.insert_mode = True
        try:
            n = self.insert_docs(coll, cmd.get('documents') or [], ordered, errors)
        finally:
            UniqueCache.insert_mode = False
        reply = {'n': n}
        if errors:
            reply['writeErrors'] = errors
        reply['ok'] = 1.0
        return reply

    @staticmethod
    def insert_docs(coll, docs, ordered, errors):
        n = 0
        for i, doc in enumerate(docs):
            try:
                if '_id' not in doc:
                    doc = dict([('_id', ObjectId())] + list(doc.items()))
                try:
                    coll.insert_one(doc)
                except DuplicateKeyError as exc:
                    if 'keyPattern' in (exc.details or {}):
                        raise
                    raise dup_key_error(coll.full_name, '_id_', [('_id', 1)], doc)
                n += 1
            except Exception as exc:
                errors.append(write_error(i, exc))
                if ordered:
                    break
        return n

    def cmd_update(self, db, cmd):
        coll = self.coll(db, cmd, 'update')
        ordered = cmd.get('ordered', True)
        n = n_modified = 0
        upserted, errors = [], []
        for i, stmt in enumerate(cmd.get('updates') or []):
            try:
                if stmt.get('arrayFilters'):
                    raise CommandError('arrayFilters are not supported by the emulator', 2)
                res = self.do_update(coll, stmt.get('q') or {}, stmt.get('u'),
                                     bool(stmt.get('upsert')), bool(stmt.get('multi')))
                n += res['n']
                n_modified += res['nModified']
                if res['upserted'] is not _NOTHING:
                    upserted.append({'index': i, '_id': res['upserted']})
            except Exception as exc:
                errors.append(write_error(i, exc))
                if ordered:
                    break
        reply = {'n': n, 'nModified': n_modified}
        if upserted:
            reply['upserted'] = upserted
        if errors:
            reply['writeErrors'] = errors
        reply['ok'] = 1.0
        return reply

    def do_update(self, coll, q, u, upsert, multi):
        """One update statement; returns {n, nModified, upserted (_id, or _NOTHING)}."""
        if isinstance(u, list):
            return pipeline_update(coll, q, u, upsert, multi)
        if not isinstance(u, dict):
            raise CommandError('Update argument must be either an object or an array', 14)
        is_operator = bool(u) and next(iter(u)).startswith('$')
        if not is_operator:
            if multi:
                raise CommandError('multi update is not supported for replacement-style update', 9)
            for k in u:
                if k.startswith('$'):
                    raise CommandError("The dollar ($) prefixed field '%s' in '%s' is not valid "
                                       'for storage.' % (k, k), 52)
        else:
            for k in u:
                if k not in UPDATE_OPERATORS:
                    raise CommandError("Unknown modifier: %s. Expected a valid update modifier "
                                       "or pipeline-style update specified as an array" % k, 9)
                if not isinstance(u[k], dict):
                    raise CommandError('Modifiers operate on fields but we found type %s instead.'
                                       % type(u[k]).__name__, 9)
        if upsert:
            coll._store.create()
        try:
            res = coll._update(q, u, upsert=upsert, multi=multi)
        except DuplicateKeyError as exc:
            if 'keyPattern' in (exc.details or {}):
                raise
            _id = q.get('_id') if not isinstance(q.get('_id'), dict) else u.get('_id')
            raise dup_key_error(coll.full_name, '_id_', [('_id', 1)], {'_id': _id})
        up = res.get('upserted')
        return {'n': res['n'], 'nModified': res['nModified'],
                'upserted': up if res['upserted'] is not None and not res['updatedExisting']
                else _NOTHING}

    def cmd_delete(self, db, cmd):
        coll = self.coll(db, cmd, 'delete')
        ordered = cmd.get('ordered', True)
        n, errors = 0, []
        for i, stmt in enumerate(cmd.get('deletes') or []):
            try:
                limit = int(stmt.get('limit') or 0)
                n += coll._delete(stmt.get('q') or {}, multi=(limit == 0))['n']
            except Exception as exc:
                errors.append(write_error(i, exc))
                if ordered:
                    break
        reply = {'n': n}
        if errors:
            reply['writeErrors'] = errors
        reply['ok'] = 1.0
        return reply

    def cmd_findandmodify(self, db, cmd):
        coll = self.coll(db, cmd, next(iter(cmd)))
        query = cmd.get('query') or {}
        sort = [(k, v) for k, v in cmd['sort'].items()] if cmd.get('sort') else None
        projection = cmd.get('fields') or cmd.get('projection') or None
        remove, update = bool(cmd.get('remove')), cmd.get('update')
        upsert, new = bool(cmd.get('upsert')), bool(cmd.get('new'))
        if cmd.get('arrayFilters'):
            raise CommandError('arrayFilters are not supported by the emulator', 2)
        if remove == (update is not None):
            raise CommandError('Either an update or remove=true must be specified', 9)
        if remove and (new or upsert):
            raise CommandError("Cannot specify both an update and remove=true", 9)

        def fetch(_id):
            found = list(coll.find({'_id': _id}, projection=dict(projection) if projection else None))
            return found[0] if found else None

        old_docs = list(coll.find(query, sort=sort, limit=1))
        old = old_docs[0] if old_docs else None
        if remove:
            if old is None:
                return {'lastErrorObject': {'n': 0}, 'value': None, 'ok': 1.0}
            value = fetch(old['_id'])
            coll._delete({'_id': old['_id']})
            return {'lastErrorObject': {'n': 1}, 'value': value, 'ok': 1.0}
        if old is None and not upsert:
            return {'lastErrorObject': {'n': 0, 'updatedExisting': False}, 'value': None, 'ok': 1.0}
        if old is not None:
            before = fetch(old['_id'])
            q = dict(query)
            q['_id'] = old['_id']
            self.do_update(coll, q, update, False, False)
            value = fetch(old['_id']) if new else before
            return {'lastErrorObject': {'n': 1, 'updatedExisting': True}, 'value': value, 'ok': 1.0}
        res = self.do_update(coll, query, update, True, False)
        up = res['upserted']
        return {'lastErrorObject': {'n': 1, 'updatedExisting': False, 'upserted': up},
                'value': fetch(up) if new else None, 'ok': 1.0}

    # ---- indexes --------------------------------------------------------------
    def cmd_createindexes(self, db, cmd):
        coll = self.coll(db, cmd, 'createIndexes')
        existed = self.coll_exists(coll)
        coll._store.create()
        before = len(coll._store.indexes) + 1
        for spec in cmd.get('indexes') or []:
            key = spec.get('key')
            if not isinstance(key, dict) or not key:
                raise CommandError('index key pattern must be a non-empty object', 67)
            key_list = list(key.items())
            name = spec.get('name') or mm_helpers.gen_index_name(key_list)
            opts = {'unique': bool(spec.get('unique')), 'sparse': bool(spec.get('sparse')),
                    'partialFilterExpression': spec.get('partialFilterExpression'),
                    'expireAfterSeconds': spec.get('expireAfterSeconds')}
            if name == '_id_' or key_list == [('_id', 1)]:
                continue
            same_name = coll._store.indexes.get(name)
            if same_name is not None:
                if same_name['key'] != key_list:
                    raise CommandError(
                        'An existing index has the same name as the requested index. '
                        'Requested index: %s, existing index: %s' % (spec, same_name['spec']), 86)
                if same_name['opts'] != opts:
                    raise CommandError('An equivalent index already exists with the same name '
                                       'but different options. Requested index: %s, existing '
                                       'index: %s' % (spec, same_name['spec']), 85)
                continue
            for other_name, other in coll._store.indexes.items():
                if other['key'] == key_list and other['opts'] == opts:
                    raise CommandError('Index already exists with a different name: %s'
                                       % other_name, 85)
            index = {'key': key_list, 'opts': opts, 'spec': dict(spec, v=2)}
            for k in ('unique', 'sparse'):
                if opts[k]:
                    index[k] = True
            for k in ('partialFilterExpression', 'expireAfterSeconds'):
                if opts[k] is not None:
                    index[k] = opts[k]
            if index.get('unique'):
                check_existing_unique(coll, name, index)
            coll._store.create_index(name, index)
        after = len(coll._store.indexes) + 1
        reply = {'numIndexesBefore': before, 'numIndexesAfter': after,
                 'createdCollectionAutomatically': not existed}
        if before == after:
            reply['note'] = 'all indexes already exist'
        reply['ok'] = 1.0
        return reply

    def cmd_listindexes(self, db, cmd):
        coll = self.coll(db, cmd, 'listIndexes')
        if not self.coll_exists(coll):
            raise CommandError('ns does not exist: %s' % coll.full_name, 26)
        out = [{'v': 2, 'key': {'_id': 1}, 'name': '_id_'}]
        for name, index in coll._store.indexes.items():
            spec = index.get('spec') or {}
            entry = {'v': 2, 'key': dict(index['key']), 'name': name}
            for k, v in spec.items():
                if k not in ('key', 'name', 'v') and v is not None and \
                        not (k in ('unique', 'sparse') and not v):
                    entry[k] = v
            out.append(entry)
        bs = self.batch_size((cmd.get('cursor') or {}).get('batchSize'), None)
        return self.make_cursor(coll.full_name, out, bs)

    def cmd_dropindexes(self, db, cmd):
        coll = self.coll(db, cmd, 'dropIndexes')
        if not self.coll_exists(coll):
            raise CommandError('ns not found %s' % coll.full_name, 26)
        was = len(coll._store.indexes) + 1
        target = cmd.get('index')
        indexes = coll._store.indexes
        if target == '*':
            names = list(indexes)
        elif isinstance(target, str):
            names = [target]
        elif isinstance(target, list):
            names = list(target)
        elif isinstance(target, dict):
            names = [n for n, i in indexes.items() if i['key'] == list(target.items())]
            if not names:
                raise CommandError("can't find index with key: %s" % _fmt(target), 27)
        else:
            raise CommandError('invalid index specification', 14)
        for name in names:
            if name == '_id_':
                raise CommandError('cannot drop _id index', 72)
            if name not in indexes:
                raise CommandError('index not found with name [%s]' % name, 27)
        for name in names:
            coll._store.drop_index(name)
        return {'nIndexesWas': was, 'ok': 1.0}

    cmd_deleteindexes = cmd_dropindexes


def check_existing_unique(coll, name, index):
    seen = {}
    for doc in coll._store.documents:
        for k in _unique_keys(index, doc):
            if k in seen and seen[k] is not doc:
                err = dup_key_error(coll.full_name, name, index['key'], doc)
                raise CommandError('Index build failed: ' + str(err).split(', full error: ')[0],
                                   11000, err.details)
            seen[k] = doc


def translate_pipeline(pipeline):
    """Rewrite stages mongomock lacks into equivalents it has."""
    out = []
    for stage in pipeline:
        if len(stage) == 1 and '$replaceWith' in stage:
            stage = {'$replaceRoot': {'newRoot': stage['$replaceWith']}}
        elif len(stage) == 1 and '$unset' in stage:
            fields = stage['$unset']
            fields = [fields] if isinstance(fields, str) else fields
            stage = {'$project': {f: 0 for f in fields}}
        elif len(stage) == 1 and isinstance(stage.get('$project'), dict):
            # mongomock treats {field: null} as an exclusion; MongoDB as a null literal
            stage = {'$project': {k: {'$literal': None} if v is None else v
                                  for k, v in stage['$project'].items()}}
        out.append(stage)
    return out


def pipeline_update(coll, q, pipeline, upsert, multi):
    pipeline = translate_pipeline(pipeline)
    n = n_modified = 0
    for doc in list(coll._iter_documents(q)):
        n += 1
        new_docs = list(mm_aggregate.process_pipeline([mm_collection._copy_field(doc, dict)],
                                                      coll.database, pipeline, None))
        if len(new_docs) != 1:
            raise CommandError('pipeline update must produce exactly one document', 2)
        new = new_docs[0]
        if new.get('_id', _NOTHING) != doc['_id']:
            raise CommandError("After applying the update, the (immutable) field '_id' was "
                               'found to have been altered', 66)
        if new != doc or list(new) != list(doc):
            new = dict([('_id', doc['_id'])] + [(k, v) for k, v in new.items() if k != '_id'])
            coll._update({'_id': doc['_id']}, new)
            n_modified += 1
        if not multi:
            break
    if n or not upsert:
        return {'n': n, 'nModified': n_modified, 'upserted': _NOTHING}
    base = {k: v for k, v in q.items()
            if not k.startswith('$') and not (isinstance(v, dict) and any(
                x.startswith('$') for x in v))}
    base = coll._expand_dots(base)
    base.setdefault('_id', ObjectId())
    base = dict([('_id', base['_id'])] + [(k, v) for k, v in base.items() if k != '_id'])
    new = list(mm_aggregate.process_pipeline([base], coll.database, pipeline, None))[0]
    new.setdefault('_id', base['_id'])
    coll._store.create()
    coll.insert_one(new)
    return {'n': 1, 'nModified': 0, 'upserted': new['_id']}


# --------------------------------------------------------------------------
# wire protocol
def read_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def read_cstring(data, pos):
    end = data.index(b'\x00', pos)
    return data[pos:end].decode('utf-8'), end + 1


def parse_op_msg(body):
    flags = struct.unpack_from('<I', body, 0)[0]
    end = len(body) - 4 if flags & 1 else len(body)
    pos = 4
    cmd, sequences = None, {}
    while pos < end:
        kind = body[pos]
        pos += 1
        size = struct.unpack_from('<i', body, pos)[0]
        if kind == 0:
            cmd = decode(body[pos:pos + size])
            pos += size
        elif kind == 1:
            section_end = pos + size
            ident, p = read_cstring(body, pos + 4)
            docs = []
            while p < section_end:
                dsize = struct.unpack_from('<i', body, p)[0]
                docs.append(decode(body[p:p + dsize]))
                p += dsize
            sequences.setdefault(ident, []).extend(docs)
            pos = section_end
        else:
            raise ValueError('unknown OP_MSG section kind %d' % kind)
    if cmd is None:
        raise ValueError('OP_MSG without body section')
    for ident, docs in sequences.items():
        cmd[ident] = docs
    return flags, cmd


def serve_connection(server, sock, conn_id):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            header = read_exact(sock, 16)
            length, request_id, _, opcode = struct.unpack('<iiii', header)
            if length < 16 or length > MAX_MESSAGE:
                raise ValueError('bad message length %d' % length)
            body = read_exact(sock, length - 16)
            if opcode == OP_MSG:
                try:
                    flags, cmd = parse_op_msg(body)
                    reply = server.handle(cmd, conn_id)
                except Exception as exc:
                    flags = 0
                    log('bad OP_MSG on connection %d: %r' % (conn_id, exc))
                    reply = error_reply(*error_info(exc)[:2])
                if flags & 2:  # moreToCome: client expects no reply (w:0)
                    continue
                payload = struct.pack('<I', 0) + b'\x00' + encode(reply)
                sock.sendall(struct.pack('<iiii', 16 + len(payload), 0, request_id, OP_MSG) + payload)
            elif opcode == OP_QUERY:
                ns, pos = read_cstring(body, 4)
                pos += 8
                size = struct.unpack_from('<i', body, pos)[0]
                try:
                    query = decode(body[pos:pos + size])
                    if '$query' in query:
                        query = query['$query']
                    cmd = dict(query)
                    cmd.setdefault('$db', ns.split('.', 1)[0])
                    reply = server.handle(cmd, conn_id)
                except Exception as exc:
                    reply = error_reply(*error_info(exc)[:2])
                doc = encode(reply)
                payload = struct.pack('<iqii', 0, 0, 0, 1) + doc
                sock.sendall(struct.pack('<iiii', 16 + len(payload), 0, request_id, OP_REPLY) + payload)
            else:
                log('unsupported opcode %d; closing connection %d' % (opcode, conn_id))
                return
    except (EOFError, ConnectionError, OSError):
        pass
    except Exception:
        log('connection %d crashed: %s' % (conn_id, traceback.format_exc()))
    finally:
        try:
            sock.close()
        except OSError:
            pass


def accept_loop(server, listener):
    while True:
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        conn_id = next(server.conn_ids)
        threading.Thread(target=serve_connection, args=(server, sock, conn_id),
                         name='conn%d' % conn_id, daemon=True).start()


def main():
    global VERBOSE
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--verbose', action='store_true', help='log every command to stderr')
    parser.add_argument('--ignore-stdin', action='store_true', help='do not exit on stdin EOF')
    args = parser.parse_args()
    VERBOSE = args.verbose

    def die(*_):
        os._exit(0)

    signal.signal(signal.SIGTERM, die)
    signal.signal(signal.SIGINT, die)

    family = socket.AF_INET6 if ':' in args.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(128)
    port = listener.getsockname()[1]
    server = Server()
    threading.Thread(target=accept_loop, args=(server, listener), name='accept', daemon=True).start()
    sys.stdout.write('listening %s:%d\n' % (args.host, port))
    sys.stdout.flush()
    if args.verbose:
        log('mongomock %s, serving on %s:%d' % (mongomock.__version__, args.host, port))

    if args.ignore_stdin:
        while True:
            time.sleep(3600)
    while True:
        try:
            data = os.read(0, 65536)
        except InterruptedError:
            continue
        except OSError:
            data = b''
        if not data:
            os._exit(0)


if __name__ == '__main__':
    main()
